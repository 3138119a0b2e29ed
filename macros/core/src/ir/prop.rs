//! Answers the graph gives about itself. The emitters ask these; they never search the graph
//! (following thiserror's `prop.rs`). Lowering asks them too, once the states exist.

use super::expr::{VarDef, VarId, Vars};
use super::{Graph, Kind, Machine, Next, StateId};
use syn::Path;

impl Graph {
    /// The name of state `id`.
    pub fn name(&self, id: StateId) -> &str {
        &self.states[id].name
    }

    /// Every state reachable from the top machine, in source order: each machine's states,
    /// each followed by those of its branches or item processor.
    pub fn states_in_order(&self) -> Vec<StateId> {
        fn collect(graph: &Graph, machine: &Machine, out: &mut Vec<StateId>) {
            for id in &machine.states {
                out.push(*id);
                match &graph.states[*id].kind {
                    Kind::Parallel { branches, .. } => branches.iter().for_each(|b| collect(graph, b, out)),
                    Kind::Map { processor, .. } => collect(graph, processor, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        collect(self, &self.top, &mut out);
        out
    }

    /// Every activity and workflow a Task calls, once each, in the order of their states.
    pub fn callees(&self) -> Vec<&Path> {
        let mut seen: Vec<&Path> = Vec::new();
        for state in &self.states {
            if let Kind::Task { callee, .. } = &state.kind
                && !seen.contains(&callee)
            {
                seen.push(callee);
            }
        }
        seen
    }

    /// The callees named by a single identifier, once each: those of the Tasks, then those
    /// that type a variable (a call whose Task was pruned still types its result).
    pub fn single_name_steps<'g>(&'g self, vars: &'g Vars) -> Vec<&'g syn::Ident> {
        let mut names: Vec<&syn::Ident> = Vec::new();
        let typed = vars.list.iter().filter_map(|var| match &var.def {
            VarDef::Step(path) | VarDef::CollectionOfStep(path) => Some(path),
            _ => None,
        });
        let tasks = self.states.iter().filter_map(|state| match &state.kind {
            Kind::Task { callee, .. } => Some(callee),
            _ => None,
        });
        for path in tasks.chain(typed) {
            if let Some(ident) = path.get_ident()
                && !names.contains(&ident)
            {
                names.push(ident);
            }
        }
        names
    }

    /// Whether `var` is the input of the one state that reads it (a `for` loop's item), so
    /// that no state assigns it.
    pub fn is_state_input(&self, var: VarId) -> bool {
        self.state_input_vars.contains(&var)
    }

    /// Whether `var` is the item or the index of a loop over `.enumerate()`, read from the
    /// iteration's input `{index, item}`.
    pub fn is_indexed(&self, var: VarId) -> bool {
        self.indexed_vars.contains(&var)
    }
}

impl Kind {
    /// The states this state can go to.
    pub fn successors(&self) -> Vec<StateId> {
        let next = |n: &Next| match n {
            Next::To(id) => Some(*id),
            Next::End => None,
        };
        match self {
            Kind::Task { next: n, catch, .. } | Kind::Parallel { next: n, catch, .. } => {
                next(n).into_iter().chain(catch.iter().map(|c| c.next)).collect()
            }
            Kind::Pass { next: n, .. } | Kind::Wait { next: n, .. } | Kind::Map { next: n, .. } => {
                next(n).into_iter().collect()
            }
            Kind::Choice { rules, default } => rules.iter().map(|(_, id)| *id).chain(default.iter().copied()).collect(),
            Kind::Succeed { .. } | Kind::Fail(_) => Vec::new(),
        }
    }
}
