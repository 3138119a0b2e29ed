//! The small async runtime under an execution: a virtual clock with timers, a group
//! of child futures polled by their own wakers (Parallel branches, Map iterations),
//! `select` of two futures, and `block_on` for synchronous callers.
//!
//! Virtual time never passes while real work is in flight: the driver of an
//! execution moves the clock to the next timer only when every future of the
//! execution is waiting on a timer (or on a callback, unless told to hold).
//!
//! Why not `futures` (`FuturesUnordered`, `select`, `block_on`) or tokio's timers: the
//! clock is virtual and the driver must see when nothing but a timer can move the
//! execution, and [`Group`] polls ready children in index order, so that branches and
//! iterations write their history events in the same order on every run (event ids
//! are compared with AWS recordings). A general-purpose executor promises neither.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Locks a mutex, ignoring poisoning (no invariant here spans a panic).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A virtual clock in milliseconds since the Unix epoch, with timers.
///
/// An *automatic* clock belongs to one execution, which moves it forward whenever it
/// has nothing else to do, so a one-day `Wait` takes microseconds. A *manual* clock
/// can be shared by many executions; only [`Clock::advance`] moves it, so executions
/// park in `Wait` states and retry back-offs until the test moves time.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    manual: bool,
    seq: AtomicU64,
    state: Mutex<ClockState>,
}

#[derive(Debug)]
struct ClockState {
    now: i64,
    timers: BTreeMap<(i64, u64), Option<Waker>>,
}

impl Clock {
    /// A clock that an execution advances by itself, starting at `start_ms`.
    pub fn automatic(start_ms: i64) -> Clock {
        Clock::new(start_ms, false)
    }

    /// A clock that only [`Clock::advance`] moves, starting at `start_ms`.
    pub fn manual(start_ms: i64) -> Clock {
        Clock::new(start_ms, true)
    }

    fn new(start_ms: i64, manual: bool) -> Clock {
        Clock {
            inner: Arc::new(ClockInner {
                manual,
                seq: AtomicU64::new(0),
                state: Mutex::new(ClockState { now: start_ms, timers: BTreeMap::new() }),
            }),
        }
    }

    /// Whether only [`Clock::advance`] moves this clock.
    pub fn is_manual(&self) -> bool {
        self.inner.manual
    }

    /// The current virtual time, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        lock(&self.inner.state).now
    }

    /// Moves the clock forward by `by`, firing every timer that comes due.
    pub fn advance(&self, by: Duration) {
        let target = self.now_ms().saturating_add(by.as_millis().min(i64::MAX as u128) as i64);
        self.advance_to(target);
    }

    /// Moves the clock to `t` (if later), firing every timer due by then.
    pub fn advance_to(&self, t: i64) {
        let mut wake = Vec::new();
        {
            let mut st = lock(&self.inner.state);
            if t > st.now {
                st.now = t;
            }
            let now = st.now;
            let due: Vec<(i64, u64)> = st.timers.range(..=(now, u64::MAX)).map(|(k, _)| *k).collect();
            for k in due {
                if let Some(Some(w)) = st.timers.remove(&k) {
                    wake.push(w);
                }
            }
        }
        wake.into_iter().for_each(Waker::wake);
    }

    /// Jumps to the earliest timer and fires every timer due then. `false` when no
    /// timer is set.
    pub(crate) fn advance_to_next(&self) -> bool {
        let next = lock(&self.inner.state).timers.keys().next().map(|k| k.0);
        match next {
            Some(t) => {
                self.advance_to(t);
                true
            }
            None => false,
        }
    }

    /// Number of timers set.
    pub fn pending_timers(&self) -> usize {
        lock(&self.inner.state).timers.len()
    }

    /// A future that completes at virtual time `deadline_ms`.
    pub fn sleep_until(&self, deadline_ms: i64) -> Sleep {
        Sleep { clock: self.clone(), deadline: deadline_ms, key: None }
    }

    /// A future that completes after `ms` virtual milliseconds.
    pub fn sleep_ms(&self, ms: i64) -> Sleep {
        let now = self.now_ms();
        self.sleep_until(now.saturating_add(ms.max(0)))
    }
}

/// A virtual-time sleep.
#[derive(Debug)]
pub struct Sleep {
    clock: Clock,
    deadline: i64,
    key: Option<(i64, u64)>,
}

impl Sleep {
    /// When it completes.
    pub fn deadline(&self) -> i64 {
        self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut st = lock(&this.clock.inner.state);
        if st.now >= this.deadline {
            if let Some(k) = this.key.take() {
                st.timers.remove(&k);
            }
            return Poll::Ready(());
        }
        let key =
            *this.key.get_or_insert_with(|| (this.deadline, this.clock.inner.seq.fetch_add(1, Ordering::Relaxed)));
        match st.timers.get_mut(&key) {
            Some(slot) => {
                if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *slot = Some(cx.waker().clone());
                }
            }
            None => {
                st.timers.insert(key, Some(cx.waker().clone()));
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            lock(&self.clock.inner.state).timers.remove(&k);
        }
    }
}

/// A boxed future that may borrow from the execution.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct GroupShared {
    ready: Mutex<Vec<usize>>,
    parent: Mutex<Option<Waker>>,
}

struct ChildWake {
    idx: usize,
    shared: Arc<GroupShared>,
}

impl Wake for ChildWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        lock(&self.shared.ready).push(self.idx);
        if let Some(w) = lock(&self.shared.parent).as_ref() {
            w.wake_by_ref();
        }
    }
}

/// Child futures run concurrently; each is polled only when its own waker fired.
/// Dropping the group drops (cancels) the children still running.
pub(crate) struct Group<'a, T> {
    children: Vec<Option<(BoxFuture<'a, T>, Waker)>>,
    shared: Arc<GroupShared>,
    running: usize,
}

impl<'a, T> Group<'a, T> {
    pub(crate) fn new() -> Self {
        Group {
            children: Vec::new(),
            shared: Arc::new(GroupShared { ready: Mutex::new(Vec::new()), parent: Mutex::new(None) }),
            running: 0,
        }
    }

    /// Adds a child; returns its index.
    pub(crate) fn push(&mut self, fut: BoxFuture<'a, T>) -> usize {
        let idx = self.children.len();
        let waker = Waker::from(Arc::new(ChildWake { idx, shared: self.shared.clone() }));
        self.children.push(Some((fut, waker)));
        lock(&self.shared.ready).push(idx);
        self.running += 1;
        idx
    }

    /// Children not finished yet.
    pub(crate) fn running(&self) -> usize {
        self.running
    }

    /// The next child to finish, with its index; `None` when none is running.
    pub(crate) fn next(&mut self) -> GroupNext<'_, 'a, T> {
        GroupNext { group: self }
    }
}

pub(crate) struct GroupNext<'g, 'a, T> {
    group: &'g mut Group<'a, T>,
}

impl<T> Future for GroupNext<'_, '_, T> {
    type Output = Option<(usize, T)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let g = &mut *self.group;
        if g.running == 0 {
            return Poll::Ready(None);
        }
        {
            let mut parent = lock(&g.shared.parent);
            if !parent.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *parent = Some(cx.waker().clone());
            }
        }
        loop {
            let mut ready = std::mem::take(&mut *lock(&g.shared.ready));
            if ready.is_empty() {
                return Poll::Pending;
            }
            ready.sort_unstable();
            ready.dedup();
            for (k, idx) in ready.iter().copied().enumerate() {
                let Some((fut, waker)) = g.children[idx].as_mut() else { continue };
                let mut ccx = Context::from_waker(waker);
                if let Poll::Ready(out) = fut.as_mut().poll(&mut ccx) {
                    g.children[idx] = None;
                    g.running -= 1;
                    // Children not polled yet in this round stay ready.
                    let rest = &ready[k + 1..];
                    if !rest.is_empty() {
                        lock(&g.shared.ready).extend_from_slice(rest);
                    }
                    return Poll::Ready(Some((idx, out)));
                }
            }
        }
    }
}

/// The first of two futures to complete.
pub(crate) enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls `a` then `b`; completes with the first that is ready.
pub(crate) async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        if let Poll::Ready(y) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(y));
        }
        Poll::Pending
    })
    .await
}

/// A value set at most once, from anywhere (a `StopExecution` request), that a future
/// of the execution awaits.
#[derive(Debug)]
pub(crate) struct Signal<T> {
    slot: Mutex<(Option<T>, Option<Waker>)>,
}

impl<T> Default for Signal<T> {
    fn default() -> Self {
        Signal { slot: Mutex::new((None, None)) }
    }
}

impl<T: Clone> Signal<T> {
    /// Sets the value and wakes the waiter; `false` (and no change) if it was set already.
    pub(crate) fn set(&self, value: T) -> bool {
        let waker = {
            let mut g = lock(&self.slot);
            if g.0.is_some() {
                return false;
            }
            g.0 = Some(value);
            g.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// The value, once set.
    pub(crate) fn wait(&self) -> impl Future<Output = T> + '_ {
        std::future::poll_fn(move |cx| {
            let mut g = lock(&self.slot);
            if let Some(v) = &g.0 {
                return Poll::Ready(v.clone());
            }
            if !g.1.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                g.1 = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

/// The waker an execution's driver polls its future with: it records that something
/// woke (so the driver polls again instead of moving time) and wakes the caller.
pub(crate) struct DriverWake {
    pub(crate) dirty: AtomicBool,
    outer: Mutex<Option<Waker>>,
}

impl DriverWake {
    pub(crate) fn new() -> Arc<DriverWake> {
        Arc::new(DriverWake { dirty: AtomicBool::new(true), outer: Mutex::new(None) })
    }

    pub(crate) fn set_outer(&self, w: &Waker) {
        let mut o = lock(&self.outer);
        if !o.as_ref().is_some_and(|x| x.will_wake(w)) {
            *o = Some(w.clone());
        }
    }
}

impl Wake for DriverWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.dirty.store(true, Ordering::Release);
        if let Some(w) = lock(&self.outer).as_ref() {
            w.wake_by_ref();
        }
    }
}

/// Wakes a thread parked in [`block_on`] (or any `park`).
pub(crate) struct ThreadWake(pub(crate) std::thread::Thread);

impl Wake for ThreadWake {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWake(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_order() {
        let clock = Clock::manual(0);
        let mut a = Box::pin(clock.sleep_ms(2000));
        let mut b = Box::pin(clock.sleep_ms(1000));
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!(a.as_mut().poll(&mut cx).is_pending());
        assert!(b.as_mut().poll(&mut cx).is_pending());
        assert_eq!(clock.pending_timers(), 2);
        assert!(clock.advance_to_next());
        assert_eq!(clock.now_ms(), 1000);
        assert!(b.as_mut().poll(&mut cx).is_ready());
        assert!(a.as_mut().poll(&mut cx).is_pending());
        drop(a);
        assert_eq!(clock.pending_timers(), 0);
    }

    #[test]
    fn group_yields_children_as_they_finish() {
        let clock = Clock::automatic(0);
        let out = block_on(async {
            let mut g: Group<'_, u32> = Group::new();
            let c1 = clock.clone();
            g.push(Box::pin(async move {
                c1.sleep_ms(10).await;
                1
            }));
            g.push(Box::pin(async { 2 }));
            let mut order = Vec::new();
            // The timer of child 0 must be fired by hand here (no driver).
            while g.running() > 0 {
                let mut next = std::pin::pin!(g.next());
                let waker = Waker::noop();
                let mut cx = Context::from_waker(waker);
                match next.as_mut().poll(&mut cx) {
                    Poll::Ready(Some((_, v))) => order.push(v),
                    Poll::Ready(None) => break,
                    Poll::Pending => {
                        clock.advance_to_next();
                    }
                }
            }
            order
        });
        assert_eq!(out, vec![2, 1]);
    }
}
