//! Makes condition-variable wake-ups no-ops inside the forked snapshot child.
//!
//! After `fork()` the child has one thread, but the condition variables of the
//! V8 platform's task queues still count the parent's worker threads as
//! waiters. When the child's GC posts work, glibc's `pthread_cond_signal` can
//! wait for those vanished waiters to leave their group, forever (observed:
//! `__condvar_quiesce_and_switch_g1` under `node::TaskQueue::Push`). In a
//! single-threaded process there is no waiter a signal could wake, so turning
//! `pthread_cond_signal` and `pthread_cond_broadcast` into no-ops is exact. We
//! do it by rewriting the node executable's GOT slots for those two symbols in
//! the child's private copy of memory; the parent is never touched.
//!
//! Invariants the patch relies on (each one is why it is safe, not a hope):
//! - It runs only in a freshly forked child with a single thread, so no other
//!   thread can be inside `pthread_cond_*` or read a GOT slot while it is
//!   rewritten, and no waiter exists that a signal could have woken.
//! - Only the main program is patched (the first object `dl_iterate_phdr`
//!   reports): node links V8's platform and libuv statically, so their calls
//!   go through node's GOT. Shared libraries keep their own slots.
//! - Only JUMP_SLOT and GLOB_DAT relocations naming one of the two symbols are
//!   rewritten; the replacement has the same C signature and returns 0, the
//!   success value of both functions.
//! - Address heuristic: glibc's loader relocates `d_ptr` entries of the
//!   dynamic section in place (absolute addresses); other loaders leave
//!   link-time addresses, which for a PIE are small offsets below the load
//!   base. So a value below the base is an offset and gets the base added. For
//!   a non-PIE executable the base is 0 and nothing is added. The heuristic
//!   would misread only a loader that relocates to addresses below the base,
//!   which no ELF loader does.
//! - The GOT page is made writable with `mprotect` in the child only; the page
//!   is the child's private copy-on-write copy after `fork()`.

use std::ffi::{c_int, c_void, CStr};

#[cfg(target_arch = "x86_64")]
const RELOC_TYPES: [u32; 2] = [7, 6]; // R_X86_64_JUMP_SLOT, R_X86_64_GLOB_DAT
#[cfg(target_arch = "aarch64")]
const RELOC_TYPES: [u32; 2] = [1026, 1025]; // R_AARCH64_JUMP_SLOT, R_AARCH64_GLOB_DAT

const PATCHED: [&[u8]; 2] = [b"pthread_cond_signal", b"pthread_cond_broadcast"];

const DT_NULL: i64 = 0;
const DT_PLTRELSZ: i64 = 2;
const DT_STRTAB: i64 = 5;
const DT_SYMTAB: i64 = 6;
const DT_RELA: i64 = 7;
const DT_RELASZ: i64 = 8;
const DT_JMPREL: i64 = 23;
const PT_DYNAMIC: u32 = 2;

extern "C" fn no_waiters(_cond: *mut c_void) -> c_int {
    0
}

#[repr(C)]
struct Dyn {
    tag: i64,
    val: u64,
}

#[repr(C)]
struct Rela {
    offset: u64,
    info: u64,
    addend: i64,
}

#[repr(C)]
struct Sym {
    name: u32,
    info: u8,
    other: u8,
    shndx: u16,
    value: u64,
    size: u64,
}

#[derive(Default)]
struct Tables {
    strtab: u64,
    symtab: u64,
    rela: u64,
    rela_size: u64,
    jmprel: u64,
    jmprel_size: u64,
}

/// Patches the main executable's GOT. Returns how many slots were rewritten;
/// 0 means the executable does not import the symbols (nothing to do).
///
/// # Safety
/// Call only in a freshly forked child that runs a single thread.
pub unsafe fn silence_condvar_wakeups() -> usize {
    let mut patched = 0usize;
    libc::dl_iterate_phdr(
        Some(visit_main_program),
        (&mut patched as *mut usize).cast(),
    );
    patched
}

unsafe extern "C" fn visit_main_program(
    info: *mut libc::dl_phdr_info,
    _size: libc::size_t,
    data: *mut c_void,
) -> c_int {
    let info = &*info;
    let patched = &mut *(data as *mut usize);
    let base = info.dlpi_addr;
    let phdrs = std::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize);
    if let Some(dynamic) = phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) {
        let tables = read_dynamic((base + dynamic.p_vaddr) as *const Dyn, base);
        *patched += patch_relocations(&tables, base, tables.jmprel, tables.jmprel_size);
        *patched += patch_relocations(&tables, base, tables.rela, tables.rela_size);
    }
    // The first object is the main program: stop after it.
    1
}

unsafe fn read_dynamic(mut entry: *const Dyn, base: u64) -> Tables {
    // glibc relocates most d_ptr values in place; some loaders leave them
    // as link-time addresses, which are below the load base.
    let addr = |v: u64| if v < base { v + base } else { v };
    let mut t = Tables::default();
    while (*entry).tag != DT_NULL {
        let v = (*entry).val;
        match (*entry).tag {
            DT_STRTAB => t.strtab = addr(v),
            DT_SYMTAB => t.symtab = addr(v),
            DT_RELA => t.rela = addr(v),
            DT_RELASZ => t.rela_size = v,
            DT_JMPREL => t.jmprel = addr(v),
            DT_PLTRELSZ => t.jmprel_size = v,
            _ => {}
        }
        entry = entry.add(1);
    }
    t
}

unsafe fn patch_relocations(t: &Tables, base: u64, table: u64, size: u64) -> usize {
    if table == 0 || t.symtab == 0 || t.strtab == 0 {
        return 0;
    }
    let count = size as usize / std::mem::size_of::<Rela>();
    let relas = std::slice::from_raw_parts(table as *const Rela, count);
    let mut patched = 0;
    for r in relas {
        if !RELOC_TYPES.contains(&((r.info & 0xffff_ffff) as u32)) {
            continue;
        }
        let sym = &*(t.symtab as *const Sym).add((r.info >> 32) as usize);
        let name = CStr::from_ptr((t.strtab + u64::from(sym.name)) as *const libc::c_char);
        if PATCHED.contains(&name.to_bytes()) && write_slot((base + r.offset) as *mut usize) {
            patched += 1;
        }
    }
    patched
}

/// The GOT is read-only after relocation (RELRO); the child's copy of the page
/// is private, so making it writable affects nobody else.
unsafe fn write_slot(slot: *mut usize) -> bool {
    let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
    let start = (slot as usize) & !(page - 1);
    if libc::mprotect(
        start as *mut c_void,
        page,
        libc::PROT_READ | libc::PROT_WRITE,
    ) != 0
    {
        return false;
    }
    slot.write_volatile(no_waiters as *const () as usize);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Forks; the child runs `body` and exits with its result; returns the
    /// child's wait status.
    fn in_child(body: fn() -> i32) -> c_int {
        // SAFETY: the child runs `body` (no locks, no allocation) and _exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: _exit ends the child without running the parent's atexit.
            unsafe { libc::_exit(body()) };
        }
        let mut status = 0;
        // SAFETY: pid is our child; status a valid out pointer.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        status
    }

    /// The test binary calls `pthread_cond_signal` through its own GOT (this
    /// very call imports it). After the patch the call must reach
    /// `no_waiters` and return 0: the real function would fault on a null
    /// condition variable, so a patch that does nothing kills the child.
    #[test]
    fn a_patched_call_returns_without_touching_the_condvar() {
        let status = in_child(|| {
            // SAFETY: single-threaded forked child, as the function requires.
            let n = unsafe { silence_condvar_wakeups() };
            if n == 0 {
                return 2;
            }
            // SAFETY: patched to no_waiters, which ignores its argument.
            let r = unsafe { libc::pthread_cond_signal(std::ptr::null_mut()) };
            // SAFETY: same.
            let b = unsafe { libc::pthread_cond_broadcast(std::ptr::null_mut()) };
            i32::from(r != 0 || b != 0)
        });
        assert!(
            libc::WIFEXITED(status),
            "the child died (signal {}): the call was not patched",
            libc::WTERMSIG(status)
        );
        assert_eq!(libc::WEXITSTATUS(status), 0, "2: no GOT slot was found");
    }

    #[test]
    fn the_parent_is_never_touched() {
        let status = in_child(|| {
            // SAFETY: single-threaded forked child.
            unsafe { silence_condvar_wakeups() };
            0
        });
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        let mut cond: libc::pthread_cond_t = libc::PTHREAD_COND_INITIALIZER;
        // The parent's slot still points at glibc: on a valid condition
        // variable without waiters the real call returns 0 as well, and the
        // GOT slot differs from the replacement.
        // SAFETY: cond is a valid, initialized condition variable.
        assert_eq!(unsafe { libc::pthread_cond_signal(&mut cond) }, 0);
        let pair = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let p2 = pair.clone();
        let t = std::thread::spawn(move || {
            *p2.0.lock().unwrap() = true;
            p2.1.notify_one();
        });
        let mut done = pair.0.lock().unwrap();
        while !*done {
            done = pair.1.wait(done).unwrap();
        }
        drop(done);
        t.join().unwrap();
    }
}
