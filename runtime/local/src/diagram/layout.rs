//! The SVG's geometry. Each state set is laid out on its own, in layers: cycles broken by a
//! depth-first search, longest-path layering with every edge spanning at least two layers,
//! crossings reduced by barycentre sweeps, and each layer's positions fitted to their
//! neighbours' by weighted isotonic regression (as close as the spacing allows). A Parallel or
//! a Map is then one box holding the layouts of its branches or item processor: edges never
//! leave their state set, so the recursion loses nothing.
//!
//! Every edge gets a slot of its own in each layer it crosses (a dummy node, or its label in
//! the layer right under its source) and bends only in the gaps between layers, where there
//! are no boxes: lines stay off boxes and labels off each other by construction, and
//! [`Layout::overlaps`] checks it.

use super::graph::{EdgeKind, Group, Node, Text};
use super::text::{NAME_SIZE, SMALL_SIZE, width};

const PAD_X: f64 = 12.0;
const PAD_Y: f64 = 7.0;
const NAME_LINE: f64 = 16.0;
const SMALL_LINE: f64 = 14.0;
const MIN_BOX: f64 = 84.0;
const GAP_STATES: f64 = 22.0;
const GAP_DUMMY: f64 = 10.0;
const GAP_ROWS: f64 = 18.0;
const FRAME_PAD: f64 = 10.0;
const FRAME_GAP: f64 = 14.0;
const FRAME_LABEL: f64 = 20.0;
const MARKER: f64 = 18.0;
const LOOP: f64 = 18.0;

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    fn intersects(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.x + o.w <= self.x + self.w && o.y + o.h <= self.y + self.h
    }

    fn contains_point(&self, (x, y): (f64, f64), inset: f64) -> bool {
        x > self.x + inset && x < self.x + self.w - inset && y > self.y + inset && y < self.y + self.h - inset
    }

    fn moved(self, dx: f64, dy: f64) -> Rect {
        Rect { x: self.x + dx, y: self.y + dy, ..self }
    }
}

/// One line of text: `x` is its left end, `y` its baseline, `w` the width it is drawn to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub size: f64,
    pub bold: bool,
}

impl Line {
    fn new(text: &str, size: f64, bold: bool) -> Line {
        Line { text: text.to_string(), x: 0.0, y: 0.0, w: width(text, size, bold), size, bold }
    }

    fn moved(mut self, dx: f64, dy: f64) -> Line {
        self.x += dx;
        self.y += dy;
        self
    }
}

/// What a shape draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShapeKind {
    /// A state without nested states.
    State,
    /// A Parallel or Map: a box around its frames.
    Compound,
    /// A branch or item processor inside a compound.
    Frame,
    Start,
    End,
}

/// A box, a frame or a marker.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    pub kind: ShapeKind,
    pub id: String,
    /// The state's name (the frame's label for frames).
    pub name: String,
    pub state_type: String,
    pub rect: Rect,
    pub lines: Vec<Line>,
    /// Full texts of the abbreviated lines.
    pub tooltip: String,
}

/// A drawn edge. `points` come in pairs: each pair is a straight run through a layer (or
/// along a box's side), and consecutive pairs are joined by a curve in the gap between
/// layers. A self loop has exactly four points, one cubic curve.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub from: String,
    pub to: String,
    /// `None` for the start and end markers' edges.
    pub kind: Option<EdgeKind>,
    pub points: Vec<(f64, f64)>,
    pub self_loop: bool,
    pub label: Option<(Line, Rect)>,
    pub tooltip: String,
}

/// A laid-out diagram.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub width: f64,
    pub height: f64,
    pub shapes: Vec<Shape>,
    pub routes: Vec<Route>,
}

impl Layout {
    /// Lays out the machine's states, with start and end markers.
    pub fn of(root: &Group) -> Layout {
        let margin = 12.0;
        let mut placed = place_group(root, true);
        placed.translate(margin, margin);
        Layout {
            width: (placed.w + 2.0 * margin).ceil(),
            height: (placed.h + 2.0 * margin).ceil(),
            shapes: placed.shapes,
            routes: placed.routes,
        }
    }

    /// What would make the drawing unreadable, one sentence each: two boxes overlapping
    /// (other than a box inside its Parallel or Map), a label over a box or another label,
    /// an edge through a box or a label that is not its own.
    pub fn overlaps(&self) -> Vec<String> {
        let mut found = Vec::new();
        let describe = |s: &Shape| format!("{:?} `{}`", s.kind, s.name);
        for (i, a) in self.shapes.iter().enumerate() {
            for b in &self.shapes[i + 1..] {
                if a.rect.intersects(&b.rect) && !a.rect.contains(&b.rect) && !b.rect.contains(&a.rect) {
                    found.push(format!("{} overlaps {}", describe(a), describe(b)));
                }
            }
        }
        let labels: Vec<(usize, &Rect, &Route)> = self
            .routes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.label.as_ref().map(|(_, rect)| (i, rect, r)))
            .collect();
        for (n, (_, a, ra)) in labels.iter().enumerate() {
            for (_, b, rb) in &labels[n + 1..] {
                if a.intersects(b) {
                    found.push(format!("label of {} → {} overlaps label of {} → {}", ra.from, ra.to, rb.from, rb.to));
                }
            }
            for s in &self.shapes {
                if s.rect.intersects(a) && !s.rect.contains(a) || s.kind == ShapeKind::State && s.rect.intersects(a) {
                    found.push(format!("label of {} → {} overlaps {}", ra.from, ra.to, describe(s)));
                }
            }
        }
        for (i, r) in self.routes.iter().enumerate() {
            let samples = r.samples();
            for s in self.shapes.iter().filter(|s| !matches!(s.kind, ShapeKind::Compound | ShapeKind::Frame)) {
                if s.name == r.from && s.kind != ShapeKind::End || s.name == r.to && s.kind != ShapeKind::Start {
                    continue;
                }
                if samples.iter().any(|&p| s.rect.contains_point(p, 1.0)) {
                    found.push(format!("edge {} → {} crosses {}", r.from, r.to, describe(s)));
                }
            }
            for (j, rect, other) in &labels {
                if *j != i && samples.iter().any(|&p| rect.contains_point(p, 0.5)) {
                    found
                        .push(format!("edge {} → {} crosses the label of {} → {}", r.from, r.to, other.from, other.to));
                }
            }
        }
        found
    }
}

impl Route {
    /// Points along the drawn curve, for checks.
    fn samples(&self) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let cubic = |p0: (f64, f64), p1: (f64, f64), p2: (f64, f64), p3: (f64, f64), out: &mut Vec<(f64, f64)>| {
            for k in 0..=16 {
                let t = k as f64 / 16.0;
                let u = 1.0 - t;
                let f = |a: f64, b: f64, c: f64, d: f64| {
                    u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d
                };
                out.push((f(p0.0, p1.0, p2.0, p3.0), f(p0.1, p1.1, p2.1, p3.1)));
            }
        };
        if self.self_loop {
            cubic(self.points[0], self.points[1], self.points[2], self.points[3], &mut out);
            return out;
        }
        for pair in self.points.chunks(2) {
            if let [a, b] = pair {
                for k in 0..=8 {
                    let t = k as f64 / 8.0;
                    out.push((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
                }
            }
        }
        for w in self.points.windows(2).skip(1).step_by(2) {
            let (a, b) = (w[0], w[1]);
            let mid = (a.1 + b.1) / 2.0;
            cubic(a, (a.0, mid), (b.0, mid), b, &mut out);
        }
        out
    }
}

/// A laid-out state set, in its own coordinates.
struct Placed {
    w: f64,
    h: f64,
    shapes: Vec<Shape>,
    routes: Vec<Route>,
}

impl Placed {
    fn translate(&mut self, dx: f64, dy: f64) {
        for s in &mut self.shapes {
            s.rect = s.rect.moved(dx, dy);
            for l in &mut s.lines {
                *l = l.clone().moved(dx, dy);
            }
        }
        for r in &mut self.routes {
            for p in &mut r.points {
                *p = (p.0 + dx, p.1 + dy);
            }
            if let Some((line, rect)) = &mut r.label {
                *line = line.clone().moved(dx, dy);
                *rect = rect.moved(dx, dy);
            }
        }
    }
}

/// A state's box before placement: its size, lines relative to its top-left corner, and the
/// nested layouts of a compound.
struct Sized {
    w: f64,
    h: f64,
    lines: Vec<Line>,
    tooltip: String,
    inner: Placed,
}

fn size_state(node: &Node) -> Sized {
    let mut lines = vec![Line::new(&node.name, NAME_SIZE, true)];
    if node.detail != node.name {
        lines.push(Line::new(&node.detail, SMALL_SIZE, false));
    }
    lines.extend(node.retries.iter().map(|r| Line::new(&r.short, SMALL_SIZE, false)));
    let mut tooltip = format!("{} ({})", node.name, node.detail);
    for r in &node.retries {
        tooltip.push('\n');
        tooltip.push_str(&r.full);
    }
    let text_w = lines.iter().map(|l| l.w).fold(0.0, f64::max);
    let mut y = PAD_Y;
    for (i, l) in lines.iter_mut().enumerate() {
        let lh = if i == 0 { NAME_LINE } else { SMALL_LINE };
        l.y = y + lh - 4.0;
        y += lh;
    }
    let header_h = y + PAD_Y;
    let mut inner = Placed { w: 0.0, h: 0.0, shapes: Vec::new(), routes: Vec::new() };
    let mut w = (text_w + 2.0 * PAD_X).max(MIN_BOX);
    let mut h = header_h;
    if !node.children.is_empty() {
        let frames: Vec<(Placed, &str, &str)> =
            node.children.iter().map(|c| (place_group(&c.group, false), c.label.as_str(), c.id.as_str())).collect();
        let frame_h = frames.iter().map(|(p, _, _)| p.h + FRAME_LABEL + FRAME_PAD).fold(0.0, f64::max);
        let frame_ws: Vec<f64> = frames
            .iter()
            .map(|(p, l, _)| (p.w + 2.0 * FRAME_PAD).max(width(l, SMALL_SIZE, false) + 2.0 * FRAME_PAD))
            .collect();
        let total = frame_ws.iter().sum::<f64>() + FRAME_GAP * (frames.len() - 1) as f64;
        w = w.max(total + 2.0 * PAD_X);
        let mut x = (w - total) / 2.0;
        for ((mut p, label, id), fw) in frames.into_iter().zip(frame_ws) {
            let frame = Rect { x, y: header_h, w: fw, h: frame_h };
            let mut l = Line::new(label, SMALL_SIZE, false);
            l.x = x + FRAME_PAD;
            l.y = header_h + FRAME_LABEL - 6.0;
            inner.shapes.push(Shape {
                kind: ShapeKind::Frame,
                id: id.to_string(),
                name: label.to_string(),
                state_type: String::new(),
                rect: frame,
                lines: vec![l],
                tooltip: label.to_string(),
            });
            p.translate(x + (fw - p.w) / 2.0, header_h + FRAME_LABEL);
            inner.shapes.append(&mut p.shapes);
            inner.routes.append(&mut p.routes);
            x += fw + FRAME_GAP;
        }
        h = header_h + frame_h + PAD_X;
    }
    for l in &mut lines {
        l.x = (w - l.w) / 2.0;
    }
    Sized { w, h, lines, tooltip, inner }
}

/// A vertex of the layered graph.
#[derive(Debug, Clone)]
struct Vertex {
    what: What,
    rank: usize,
    /// Extents left and right of the vertex's position (its centre, or an edge's passage).
    left: f64,
    right: f64,
    h: f64,
    /// Weight in placement: boxes hold still, edges bend.
    weight: f64,
    x: f64,
    order: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum What {
    State(usize),
    Start,
    End,
    Dummy,
    Label(usize),
}

/// An edge to draw, before layering.
struct Link {
    from: usize,
    to: usize,
    kind: Option<EdgeKind>,
    label: Option<Text>,
}

fn place_group(group: &Group, root: bool) -> Placed {
    let n = group.states.len();
    let sized: Vec<Sized> = group.states.iter().map(size_state).collect();
    let mut links: Vec<Link> = group
        .edges
        .iter()
        .map(|e| Link { from: e.from, to: e.to, kind: Some(e.kind), label: e.label.clone() })
        .collect();
    let mut verts: Vec<Vertex> = sized
        .iter()
        .enumerate()
        .map(|(i, s)| Vertex {
            what: What::State(i),
            rank: 0,
            left: s.w / 2.0,
            right: s.w / 2.0,
            h: s.h,
            weight: 8.0,
            x: 0.0,
            order: 0.0,
        })
        .collect();
    let marker = |what| Vertex {
        what,
        rank: 0,
        left: MARKER / 2.0,
        right: MARKER / 2.0,
        h: MARKER,
        weight: 8.0,
        x: 0.0,
        order: 0.0,
    };
    let (start_v, end_v) = if root {
        verts.push(marker(What::Start));
        verts.push(marker(What::End));
        if let Some(s) = group.start {
            links.push(Link { from: n, to: s, kind: None, label: None });
        }
        for (i, st) in group.states.iter().enumerate() {
            // A Fail state is an end of its own (drawn red); Succeed and `End` lead to the marker.
            if st.terminal && st.kind != "Fail" {
                links.push(Link { from: i, to: n + 1, kind: None, label: None });
            }
        }
        (Some(n), Some(n + 1))
    } else {
        (group.start, None)
    };
    let nv = verts.len();

    // Self loops sit on their box's right side; the space is reserved in its extent.
    let mut loops: Vec<Vec<usize>> = vec![Vec::new(); nv];
    for (i, l) in links.iter().enumerate() {
        if l.from == l.to {
            loops[l.from].push(i);
            let lw = l.label.as_ref().map(|t| width(&t.short, SMALL_SIZE, false) + 6.0).unwrap_or(0.0);
            verts[l.from].right += LOOP + 4.0 * loops[l.from].len() as f64 + lw;
        }
    }

    // Cycles: edges back to a vertex on the depth-first stack are laid out reversed.
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); nv];
    for (i, l) in links.iter().enumerate() {
        if l.from != l.to {
            out[l.from].push(i);
        }
    }
    let mut state = vec![0u8; nv];
    let mut reversed = vec![false; links.len()];
    let mut preorder = vec![usize::MAX; nv];
    let mut counter = 0;
    let roots = start_v.into_iter().chain(0..nv);
    for r in roots {
        if state[r] != 0 {
            continue;
        }
        let mut stack = vec![(r, 0usize)];
        state[r] = 1;
        preorder[r] = counter;
        counter += 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if let Some(&e) = out[v].get(*k) {
                *k += 1;
                let t = links[e].to;
                match state[t] {
                    0 => {
                        state[t] = 1;
                        preorder[t] = counter;
                        counter += 1;
                        stack.push((t, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    let oriented = |i: usize| if reversed[i] { (links[i].to, links[i].from) } else { (links[i].from, links[i].to) };

    // Longest-path layering, two ranks per step so that labels get the rank between.
    let mut indegree = vec![0usize; nv];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); nv];
    for (i, l) in links.iter().enumerate() {
        if l.from != l.to {
            let (a, b) = oriented(i);
            indegree[b] += 1;
            down[a].push(b);
        }
    }
    let mut ready: std::collections::BTreeSet<(usize, usize)> =
        (0..nv).filter(|&v| indegree[v] == 0).map(|v| (preorder[v], v)).collect();
    while let Some((_, v)) = ready.pop_first() {
        for &b in &down[v] {
            verts[b].rank = verts[b].rank.max(verts[v].rank + 2);
            indegree[b] -= 1;
            if indegree[b] == 0 {
                ready.insert((preorder[b], b));
            }
        }
    }
    if let Some(e) = end_v {
        // The end marker sits on the last rank.
        let last = verts.iter().map(|v| v.rank).max().unwrap_or(0);
        if links.iter().any(|l| l.to == e) {
            verts[e].rank = last.max(verts[e].rank);
        } else {
            verts[e].rank = last + 2;
        }
    }

    // Chains: every edge passes each rank between its ends through a vertex of its own.
    let mut chains: Vec<Vec<usize>> = vec![Vec::new(); links.len()];
    for i in 0..links.len() {
        if links[i].from == links[i].to {
            continue;
        }
        let (a, b) = oriented(i);
        let mut chain = vec![a];
        for r in verts[a].rank + 1..verts[b].rank {
            let labelled = r == verts[a].rank + 1 && links[i].label.is_some();
            let what = if labelled { What::Label(i) } else { What::Dummy };
            let (right, h) = match (&links[i].label, labelled) {
                (Some(t), true) => (width(&t.short, SMALL_SIZE, false) + 10.0, SMALL_LINE),
                _ => (4.0, 0.0),
            };
            verts.push(Vertex {
                what,
                rank: r,
                left: 4.0,
                right,
                h,
                weight: 1.0,
                x: 0.0,
                order: preorder[a] as f64 + (i as f64 + 1.0) / (links.len() as f64 + 2.0),
            });
            chain.push(verts.len() - 1);
        }
        chain.push(b);
        chains[i] = chain;
    }
    for v in 0..nv {
        verts[v].order = preorder[v] as f64;
    }
    let ranks = verts.iter().map(|v| v.rank).max().unwrap_or(0) + 1;
    let mut up_n: Vec<Vec<usize>> = vec![Vec::new(); verts.len()];
    let mut down_n: Vec<Vec<usize>> = vec![Vec::new(); verts.len()];
    for c in &chains {
        for w in c.windows(2) {
            down_n[w[0]].push(w[1]);
            up_n[w[1]].push(w[0]);
        }
    }

    // Crossing reduction.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); ranks];
    for (i, v) in verts.iter().enumerate() {
        layers[v.rank].push(i);
    }
    let by_order = |layers: &mut Vec<Vec<usize>>, verts: &[Vertex]| {
        for l in layers.iter_mut() {
            l.sort_by(|&a, &b| verts[a].order.total_cmp(&verts[b].order).then(a.cmp(&b)));
        }
    };
    by_order(&mut layers, &verts);
    let renumber = |layers: &Vec<Vec<usize>>, verts: &mut Vec<Vertex>| {
        for l in layers {
            for (p, &v) in l.iter().enumerate() {
                verts[v].order = p as f64;
            }
        }
    };
    renumber(&layers, &mut verts);
    let mut best = (crossings(&layers, &down_n, &verts), layers.clone());
    for sweep in 0..12 {
        let downward = sweep % 2 == 0;
        let seq: Vec<usize> =
            if downward { (1..ranks).collect() } else { (0..ranks.saturating_sub(1)).rev().collect() };
        for r in seq {
            let nb = if downward { &up_n } else { &down_n };
            for &v in &layers[r] {
                let ns = &nb[v];
                if !ns.is_empty() {
                    verts[v].order = ns.iter().map(|&u| verts[u].order).sum::<f64>() / ns.len() as f64 - 1e-6;
                }
            }
            let mut l = std::mem::take(&mut layers[r]);
            let pos: Vec<(usize, usize)> = l.iter().enumerate().map(|(p, &v)| (v, p)).collect();
            let old = |v: usize| pos.iter().find(|(w, _)| *w == v).map(|x| x.1).unwrap_or(0);
            l.sort_by(|&a, &b| verts[a].order.total_cmp(&verts[b].order).then(old(a).cmp(&old(b))));
            for (p, &v) in l.iter().enumerate() {
                verts[v].order = p as f64;
            }
            layers[r] = l;
        }
        let c = crossings(&layers, &down_n, &verts);
        if c < best.0 {
            best = (c, layers.clone());
        }
    }
    layers = best.1;
    renumber(&layers, &mut verts);

    // Positions: pack, then fit each layer to its neighbours, down and up.
    for l in &layers {
        let mut x = 0.0;
        for (p, &v) in l.iter().enumerate() {
            if p > 0 {
                x += verts[l[p - 1]].right + gap(&verts[l[p - 1]], &verts[v]) + verts[v].left;
            }
            verts[v].x = x;
        }
    }
    for pass in 0..10 {
        let seq: Vec<usize> = if pass % 2 == 0 { (0..ranks).collect() } else { (0..ranks).rev().collect() };
        for r in seq {
            let l = &layers[r];
            let targets: Vec<f64> = l
                .iter()
                .map(|&v| {
                    let ns: Vec<usize> = match pass % 2 {
                        _ if pass >= 8 => up_n[v].iter().chain(&down_n[v]).copied().collect(),
                        0 => up_n[v].clone(),
                        _ => down_n[v].clone(),
                    };
                    if ns.is_empty() {
                        verts[v].x
                    } else {
                        ns.iter().map(|&u| verts[u].x).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            let seps: Vec<f64> =
                l.windows(2).map(|w| verts[w[0]].right + gap(&verts[w[0]], &verts[w[1]]) + verts[w[1]].left).collect();
            let weights: Vec<f64> = l.iter().map(|&v| verts[v].weight).collect();
            let xs = isotonic(&targets, &weights, &seps);
            for (&v, x) in l.iter().zip(xs) {
                verts[v].x = x;
            }
        }
    }
    let min_x = verts.iter().map(|v| v.x - v.left).fold(f64::INFINITY, f64::min);
    let max_x = verts.iter().map(|v| v.x + v.right).fold(f64::NEG_INFINITY, f64::max);
    for v in &mut verts {
        v.x = (v.x - min_x).round();
    }
    let total_w = if verts.is_empty() { 0.0 } else { (max_x - min_x).round() };

    // Rows.
    let mut row_top = vec![0.0; ranks];
    let mut row_h = vec![0.0f64; ranks];
    for v in &verts {
        row_h[v.rank] = row_h[v.rank].max(v.h);
    }
    let mut y = 0.0;
    for r in 0..ranks {
        row_top[r] = y;
        y += row_h[r] + GAP_ROWS;
    }
    let total_h = (y - GAP_ROWS).max(0.0);
    let top_of = |v: &Vertex| row_top[v.rank] + (row_h[v.rank] - v.h) / 2.0;

    // Shapes.
    let mut placed = Placed { w: total_w, h: total_h, shapes: Vec::new(), routes: Vec::new() };
    let mut sized = sized.into_iter().map(Some).collect::<Vec<_>>();
    let name_of = |v: usize| match verts[v].what {
        What::State(i) => group.states[i].name.clone(),
        What::Start => "start".to_string(),
        What::End => "end".to_string(),
        _ => String::new(),
    };
    let rect_of = |v: usize| {
        let vx = &verts[v];
        let w = if let What::State(_) = vx.what { 2.0 * vx.left } else { MARKER };
        Rect { x: vx.x - vx.left, y: top_of(vx), w, h: vx.h }
    };
    for (v, vertex) in verts.iter().enumerate().take(nv) {
        let rect = rect_of(v);
        match vertex.what {
            What::State(i) => {
                let s = sized[i].take().expect("each state once");
                let node = &group.states[i];
                let mut inner = s.inner;
                inner.translate(rect.x, rect.y);
                placed.shapes.push(Shape {
                    kind: if node.children.is_empty() { ShapeKind::State } else { ShapeKind::Compound },
                    id: node.id.clone(),
                    name: node.name.clone(),
                    state_type: node.kind.clone(),
                    rect,
                    lines: s.lines.into_iter().map(|l| l.moved(rect.x, rect.y)).collect(),
                    tooltip: s.tooltip,
                });
                placed.shapes.append(&mut inner.shapes);
                placed.routes.append(&mut inner.routes);
            }
            What::Start | What::End => {
                let start = verts[v].what == What::Start;
                placed.shapes.push(Shape {
                    kind: if start { ShapeKind::Start } else { ShapeKind::End },
                    id: if start { "start".into() } else { "end".into() },
                    name: name_of(v),
                    state_type: String::new(),
                    rect,
                    lines: Vec::new(),
                    tooltip: if start { "start".into() } else { "end".into() },
                });
            }
            _ => {}
        }
    }

    // Ports: a box's edges leave (and enter) spread along its side, in the order of where
    // they go, so that they do not start on top of each other.
    let mut out_ports: Vec<Vec<(usize, f64)>> = vec![Vec::new(); verts.len()];
    let mut in_ports: Vec<Vec<(usize, f64)>> = vec![Vec::new(); verts.len()];
    for (i, c) in chains.iter().enumerate() {
        if c.len() >= 2 {
            out_ports[c[0]].push((i, verts[c[1]].x));
            in_ports[c[c.len() - 1]].push((i, verts[c[c.len() - 2]].x));
        }
    }
    let port = |ports: &Vec<(usize, f64)>, v: usize, edge: usize| {
        let vx = &verts[v];
        if !matches!(vx.what, What::State(_)) || ports.len() < 2 {
            return vx.x;
        }
        let mut sorted = ports.clone();
        sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let k = sorted.iter().position(|p| p.0 == edge).unwrap_or(0);
        let span = (2.0 * vx.left - 2.0 * PAD_X).min(24.0 * ports.len() as f64);
        let step = span / (ports.len() - 1) as f64;
        (vx.x - span / 2.0 + step * k as f64).round()
    };

    // Routes.
    for (i, l) in links.iter().enumerate() {
        let tooltip = match (&l.kind, &l.label) {
            (Some(k), Some(t)) => format!("{}: {}", k.as_str(), t.full),
            (Some(k), None) => k.as_str().to_string(),
            (None, _) => String::new(),
        };
        if l.from == l.to {
            let k = loops[l.from].iter().position(|&e| e == i).unwrap_or(0) as f64;
            let r = rect_of(l.from);
            let (x0, cy) = (r.x + r.w, r.y + r.h / 2.0);
            let reach = LOOP + 4.0 * k;
            let dy = (r.h / 2.0 - 3.0).min(8.0 + 3.0 * k);
            let points = vec![(x0, cy - dy), (x0 + reach, cy - dy - 6.0), (x0 + reach, cy + dy + 6.0), (x0, cy + dy)];
            let label = l.label.as_ref().map(|t| {
                let mut line = Line::new(&t.short, SMALL_SIZE, false);
                let offset: f64 = loops[l.from][..k as usize]
                    .iter()
                    .map(|&e| links[e].label.as_ref().map(|t| width(&t.short, SMALL_SIZE, false) + 6.0).unwrap_or(0.0))
                    .sum();
                line.x = x0 + LOOP + 4.0 * loops[l.from].len() as f64 + 2.0 + offset;
                line.y = cy + 4.0;
                let rect = Rect { x: line.x, y: cy - SMALL_LINE / 2.0, w: line.w, h: SMALL_LINE };
                (line, rect)
            });
            placed.routes.push(Route {
                from: name_of(l.from),
                to: name_of(l.to),
                kind: l.kind,
                points,
                self_loop: true,
                label,
                tooltip,
            });
            continue;
        }
        let c = &chains[i];
        let (a, b) = (c[0], c[c.len() - 1]);
        let ra = rect_of(a);
        let rb = rect_of(b);
        let xa = port(&out_ports[a], a, i);
        let xb = port(&in_ports[b], b, i);
        let bottom = |v: usize| row_top[verts[v].rank] + row_h[verts[v].rank];
        let top = |v: usize| row_top[verts[v].rank];
        let mut points = vec![(xa, ra.y + ra.h), (xa, bottom(a))];
        let mut label = None;
        for &m in &c[1..c.len() - 1] {
            let x = verts[m].x;
            points.push((x, top(m)));
            points.push((x, bottom(m)));
            if let (What::Label(_), Some(t)) = (verts[m].what, &l.label) {
                let mut line = Line::new(&t.short, SMALL_SIZE, false);
                line.x = x + 6.0;
                let rect = Rect {
                    x: x + 6.0,
                    y: top(m) + (row_h[verts[m].rank] - SMALL_LINE) / 2.0,
                    w: line.w,
                    h: SMALL_LINE,
                };
                line.y = rect.y + SMALL_LINE - 3.5;
                label = Some((line, rect));
            }
        }
        points.push((xb, top(b)));
        points.push((xb, rb.y));
        if reversed[i] {
            points.reverse();
        }
        placed.routes.push(Route {
            from: name_of(l.from),
            to: name_of(l.to),
            kind: l.kind,
            points,
            self_loop: false,
            label,
            tooltip,
        });
    }
    placed
}

fn gap(a: &Vertex, b: &Vertex) -> f64 {
    let boxy = |v: &Vertex| matches!(v.what, What::State(_) | What::Start | What::End);
    if boxy(a) && boxy(b) { GAP_STATES } else { GAP_DUMMY }
}

/// Edge crossings between consecutive layers.
fn crossings(layers: &[Vec<usize>], down: &[Vec<usize>], verts: &[Vertex]) -> usize {
    let pos = |v: usize| verts[v].order;
    let mut total = 0;
    for l in layers {
        let mut edges: Vec<(f64, f64)> = Vec::new();
        for &v in l {
            for &w in &down[v] {
                edges.push((pos(v), pos(w)));
            }
        }
        for (i, a) in edges.iter().enumerate() {
            for b in &edges[i + 1..] {
                if (a.0 - b.0) * (a.1 - b.1) < 0.0 {
                    total += 1;
                }
            }
        }
    }
    total
}

/// The positions closest to `targets` (weighted least squares) that keep at least `seps[i]`
/// between positions `i` and `i + 1`: pool-adjacent-violators on the positions less their
/// cumulative separations.
fn isotonic(targets: &[f64], weights: &[f64], seps: &[f64]) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(targets.len());
    let mut o = 0.0;
    for i in 0..targets.len() {
        if i > 0 {
            o += seps[i - 1];
        }
        offsets.push(o);
    }
    // Blocks of (weighted sum, weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for i in 0..targets.len() {
        blocks.push(((targets[i] - offsets[i]) * weights[i], weights[i], 1));
        while blocks.len() >= 2 {
            let (s1, w1, c1) = blocks[blocks.len() - 1];
            let (s0, w0, c0) = blocks[blocks.len() - 2];
            if s0 / w0 <= s1 / w1 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (s0 + s1, w0 + w1, c0 + c1);
        }
    }
    let mut out = Vec::with_capacity(targets.len());
    for (s, w, c) in blocks {
        for _ in 0..c {
            out.push(s / w + offsets[out.len()]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_keeps_separations() {
        let xs = isotonic(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0], &[10.0, 10.0]);
        assert_eq!(xs, vec![-10.0, 0.0, 10.0]);
        let xs = isotonic(&[0.0, 50.0], &[1.0, 1.0], &[10.0]);
        assert_eq!(xs, vec![0.0, 50.0]);
    }
}
