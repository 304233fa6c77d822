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

    #[test]
    fn patches_in_a_forked_child_without_touching_the_parent() {
        // The test binary imports pthread_cond_signal via std's condvar only
        // when it uses one; either way the child must survive the patch and
        // the parent's condvars must keep working.
        let pair = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        // SAFETY: the child only patches and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let n = unsafe { silence_condvar_wakeups() };
            unsafe { libc::_exit(if n <= 4 { 0 } else { 1 }) };
        }
        let mut status = 0;
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        let p2 = pair.clone();
        let t = std::thread::spawn(move || {
            *p2.0.lock().unwrap() = true;
            p2.1.notify_one();
        });
        let mut done = pair.0.lock().unwrap();
        while !*done {
            done = pair.1.wait(done).unwrap();
        }
        t.join().unwrap();
    }
}
