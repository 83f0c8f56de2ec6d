//! A counting global allocator for the macro's test binary: how many bytes
//! one expansion holds at its peak, per thread, so that the robustness test
//! can bound every expansion's memory deterministically (wall-clock time is
//! only its hang guard).
//!
//! Each thread counts the bytes it allocates and frees. [`measure`] runs a
//! closure and returns the peak of that thread's live bytes above where it
//! started. Past [`HARD_CAP`] live bytes on a thread inside [`measure`], the
//! allocation fails (the process aborts with rustc's "memory allocation
//! failed" message) rather than let one input take the machine's memory:
//! the input recorded by [`set_current`] is printed first.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Live bytes on one thread inside [`measure`] past which an allocation
/// fails: far above any expansion's real need (see the robustness test's
/// budget), far below the machine's memory.
pub const HARD_CAP: usize = 2 << 30;

struct Counting;

#[global_allocator]
static COUNTING: Counting = Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    /// The live bytes at which allocation fails (`usize::MAX`: never).
    static CAP: Cell<usize> = const { Cell::new(usize::MAX) };
}

thread_local! {
    /// The input this thread is expanding, printed if the hard cap is reached.
    static CURRENT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Records the input this thread is about to expand.
pub fn set_current(input: &str) {
    CURRENT.with_borrow_mut(|c| {
        c.clear();
        c.push_str(input);
    });
}

fn grow(size: usize) -> bool {
    LIVE.try_with(|live| {
        let now = live.get().saturating_add(size);
        if now > CAP.try_with(Cell::get).unwrap_or(usize::MAX) {
            // Formatting a `&str` into unbuffered stderr does not allocate.
            let _ = CURRENT.try_with(|c| {
                if let Ok(c) = c.try_borrow() {
                    eprintln!(
                        "an expansion holds over {HARD_CAP} bytes; its input:\n{}",
                        *c
                    );
                }
            });
            return false;
        }
        live.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
        true
    })
    .unwrap_or(true)
}

fn shrink(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size)));
}

// SAFETY: every method forwards to `System` with the same arguments; the
// counters are thread-local `Cell`s that never allocate and never unwind.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !grow(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, forwarded.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            shrink(new_size.saturating_sub(layout.size()));
        } else if new_size < layout.size() {
            shrink(layout.size() - new_size);
        }
        p
    }
}

/// Runs `f` and returns its result and the most bytes this thread held at
/// once while it ran, above what it held before. Allocation fails past
/// [`HARD_CAP`] bytes held.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    CAP.with(|c| c.set(start.saturating_add(HARD_CAP)));
    let out = f();
    CAP.with(|c| c.set(usize::MAX));
    let peak = PEAK.with(Cell::get);
    (out, peak - start)
}

#[test]
fn the_allocator_counts_what_a_thread_holds() {
    let ((), held) = measure(|| {
        let v = vec![0u8; 1 << 20];
        std::hint::black_box(&v);
    });
    assert!((1 << 20..2 << 20).contains(&held), "{held}");
    let ((), held) = measure(|| {});
    assert!(held < 1024, "{held}");
}
