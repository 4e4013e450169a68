"""Kernel isolation primitives for the sandbox: namespaces, a read-only private root, rlimits, dropped privileges.

Runs only inside processes forked by the launcher (never in the verifier's own process). Python 3.11 has no
``os.unshare``/``mount``/``setns``, so they are called through libc with ctypes.

Two modes, chosen once per launcher (`set_mode`): ``root`` (the verifier runs as real root) and ``userns`` (an
ordinary user: `become_namespace_root` first makes the launcher root of a new user namespace that maps only the
caller's own uid, so it may create and configure namespaces owned by it; see docs/sandbox.md).

`build_base` (once per launcher), then per run `unshare_pid` (in the launcher, so the run's first process is the
init of a new PID namespace: killing it kills every descendant, ``setsid`` escapees included), `enter_run_namespaces`
and `build_run` give the run: a network namespace with no interfaces
up (no network, not even loopback to the host), new IPC and UTS namespaces, and a private mount namespace whose
root is a read-only tmpfs holding only read-only bind mounts of the interpreter and system libraries,
``/dev/{null,zero,random,urandom}``, a fresh ``/proc`` of the new PID namespace and a size-capped private tmpfs at
``/tmp``. In ``userns`` mode the run then enters a user namespace of its own (`enter_user_namespace`), so that
RLIMIT_NPROC, which the kernel counts per (user namespace, uid), counts this run's tasks alone. `confine` then
sets the rlimits, ``PR_SET_NO_NEW_PRIVS`` and switches to an unprivileged uid/gid used by nobody else (root mode)
or drops every capability of the run's own user namespace (userns mode), so capabilities are gone and setuid
binaries are inert.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import sysconfig

__all__ = ["IsolationError", "fork", "unshare_pid", "setns", "unshare_uts", "new_network_namespace",
           "enter_run_namespaces", "build_base", "build_run", "mount_proc", "enter_root", "confine", "vm_size",
           "set_parent_death_signal", "system_binds", "jail_path", "set_mode", "become_namespace_root",
           "enter_user_namespace", "userns_refusal", "MODES", "mode"]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUSER = 0x20000000, 0x40000000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
_CAP_VERSION_3, _CAP_LAST = 0x20080522, 63
MODES = ("root", "userns")
_mode = "root"
DEVICES = ("null", "zero", "random", "urandom")
_libc = None
_raw_fork = None
_shadowed: dict[str, str] = {}


class IsolationError(RuntimeError):
    """The kernel refused an isolation step; the run must not go ahead unprotected."""


def _c():
    """libc with its functions resolved and typed once, in the launcher: a fresh run only calls them (resolving a
    ctypes function in a just-forked process touches, and so copies, a hundred pages)."""
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(None, use_errno=True)
        c_int, c_ulong, c_char_p = ctypes.c_int, ctypes.c_ulong, ctypes.c_char_p
        for name, argtypes in (("mount", [c_char_p, c_char_p, c_char_p, c_ulong, c_char_p]),
                               ("prctl", [c_int, c_ulong, c_ulong, c_ulong, c_ulong]), ("unshare", [c_int]),
                               ("setns", [c_int, c_int]), ("capset", [ctypes.c_void_p, ctypes.c_void_p])):
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = argtypes, c_int
        _libc = lib
    return _libc


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise IsolationError(f"{what} failed: {os.strerror(err)} (errno {err})")


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()
    _check(_c().mount(enc(src), enc(target), enc(fstype), flags, enc(data)),
           f"mount {src or fstype} on {target}")


def set_parent_death_signal(sig: int = 9) -> None:
    _check(_c().prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


def fork() -> int:
    """fork(2) without Python's after-fork hooks: 0 in the child, the child's pid in the parent.

    Only for the launcher and a run's init, which are single-threaded: there, the hooks (threading's and random's
    re-initialisation) have nothing to repair, yet they touch a few hundred pages that copy-on-write then copies,
    which made them the largest single cost of starting a run. The libc call runs with the GIL held (``PyDLL``),
    so the child's interpreter state is exactly the parent's. Random state is therefore inherited, not reseeded:
    the launcher seeds it once, so runs are reproducible.
    """
    global _raw_fork
    if _raw_fork is None:
        _raw_fork = ctypes.PyDLL(None, use_errno=True).fork
        _raw_fork.restype, _raw_fork.argtypes = ctypes.c_int, []
    pid = _raw_fork()
    if pid < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"fork failed: {os.strerror(err)}")
    return pid


def unshare_pid() -> None:
    """A new PID namespace for the next child of this process (its init); this process itself stays where it is."""
    _check(_c().unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")


def setns(fd: int, nstype: int) -> None:
    """Join the namespace open at `fd`; with the caller's own PID namespace, this undoes `unshare_pid`."""
    _check(_c().setns(fd, nstype), "setns")


def unshare_uts() -> None:
    _check(_c().unshare(CLONE_NEWUTS), "unshare(CLONE_NEWUTS)")


def new_network_namespace(own_net_fd: int) -> int:
    """A new, empty network namespace (only a loopback that is down), as an open descriptor; the caller stays in
    (returns to) the namespace open at `own_net_fd`."""
    _check(_c().unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
    try:
        return os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        setns(own_net_fd, CLONE_NEWNET)


def enter_run_namespaces(net_fd: int = -1) -> None:
    """New mount and IPC namespaces for the calling process (a jailed process's init, still root), and the network
    namespace open at `net_fd`; with -1, a new network and UTS namespace instead.

    Creating and destroying a network namespace is the dearest step of a run (about 1 ms of CPU, half of it in
    the kernel's deferred clean-up), so the launcher lends each run one from a pool, never to two live runs at
    once: an unprivileged process cannot configure a network namespace, and nothing it had there (sockets,
    abstract socket names) outlives its processes, which are all dead before the namespace is lent again. IPC
    objects do outlive their processes, so every run gets a fresh IPC namespace."""
    flags = CLONE_NEWNS | CLONE_NEWIPC | (CLONE_NEWNET | CLONE_NEWUTS if net_fd < 0 else 0)
    _check(_c().unshare(flags), "unshare")
    if net_fd >= 0:
        setns(net_fd, CLONE_NEWNET)


def system_binds(site_dirs: list[str]) -> list[str]:
    """Host paths the jail exposes read-only: system libraries, this interpreter's stdlib and `site_dirs` (the
    client's site-packages: the launcher runs without ``site``, so its own sysconfig would name the base ones).

    Computed in the launcher, before any run. The repository, the run folders and home directories are not
    included (an editable install's source tree stays invisible).
    """
    paths = ["/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin", "/etc/alternatives", "/etc/ld.so.cache"]
    info = sysconfig.get_paths()
    paths += [sys.base_prefix, sys.base_exec_prefix, info["stdlib"], info["platstdlib"], *site_dirs]
    out: list[str] = []
    for p in paths:
        p = os.path.normpath(p)
        if os.path.lexists(p) and p not in out and not any(p.startswith(q.rstrip("/") + "/") for q in out
                                                            if not os.path.islink(q)):
            out.append(p)
    return out


def _kept_flags(path: str) -> int:
    """Mount flags of the mount at `path` that a read-only remount must repeat: inside a user namespace the kernel
    locks a bind mount's nosuid/nodev/noexec and atime flags, and a remount that would clear one fails."""
    have = os.statvfs(path).f_flag
    pairs = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
             (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))
    return sum(ms for st, ms in pairs if have & st)


def _mount_points_under(target: str) -> list[str]:
    """Mount points strictly below `target` in this mount namespace (a recursive bind brings them along)."""
    prefix = target.rstrip("/") + "/"
    with open("/proc/self/mountinfo", "rb") as fh:
        points = [line.split()[4].decode() for line in fh]
    unescape = lambda p: p.encode().decode("unicode_escape").encode("latin-1").decode(errors="surrogateescape")
    return [q for q in map(unescape, points) if q.startswith(prefix)]


def _bind_ro(src: str, target: str) -> None:
    """A recursive read-only bind: the mount at `target` and every mount it brought along are made read-only."""
    _mount(src, target, None, MS_BIND | MS_REC)
    for point in [target, *_mount_points_under(target)]:
        _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | _kept_flags(point))


def build_base(root: str, binds: list[str]) -> None:
    """Once per launcher: a private mount namespace for the launcher and, in it, the jail's read-only root at `root`.

    A read-only tmpfs holding read-only bind mounts of `binds` and ``/dev/{null,zero,random,urandom}``, with empty
    ``/proc``, ``/tmp`` and ``/dev/shm`` mount points. It exists only in the launcher's mount namespace (the host
    never sees it); every run's init copies it with `enter_run_namespaces` and adds its own private
    ``/tmp``, ``/dev/shm`` (`build_run`) and ``/proc`` (`mount_proc`) on top, so nothing of one run reaches the next.
    """
    global _shadowed
    # Binds that the per-run /tmp or /dev/shm would hide (a virtualenv in a checkout under /tmp, as CI makes) are
    # shown at /.shadow/<n> instead, once, here: binding them again on top of every run's /tmp cost two mounts each.
    _shadowed = {p: f"/.shadow/{i}" for i, p in enumerate(
        p for p in binds if any(p == top or p.startswith(top + "/") for top in ("/tmp", "/dev/shm")))}
    _check(_c().unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount propagates back to the host
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    for src in binds:
        dst = root + _shadowed.get(src, src)
        if os.path.islink(src) and os.path.dirname(src) == "/":
            os.symlink(os.readlink(src), dst)  # e.g. /bin -> usr/bin on merged-/usr systems
            continue
        if os.path.isdir(src):
            os.makedirs(dst, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            open(dst, "wb").close()
        _bind_ro(src, dst)
    os.makedirs(root + "/dev", exist_ok=True)
    for dev in DEVICES:
        open(f"{root}/dev/{dev}", "wb").close()
        _mount(f"/dev/{dev}", f"{root}/dev/{dev}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    for d in ("proc", "tmp", "dev/shm"):
        os.makedirs(f"{root}/{d}", exist_ok=True)
    _mount(None, root, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def build_run(root: str, tmp_bytes: int, owner: int) -> None:
    """Per run, in the run's new mount namespace (a private copy of the launcher's): the run's own size-capped
    ``/tmp`` and ``/dev/shm``, owned by the run's uid (in userns mode by the launcher's uid 0, which the run's own
    user namespace maps to the run's uid). ``/proc`` is left for `mount_proc`."""
    if _mode == "userns":
        owner = 0
    opts = f"uid={owner},gid={owner},mode=0700,nr_inodes=4096"
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},{opts}")
    _mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={1 << 20},{opts}")


def jail_path(path: str) -> str:
    """Where a host path under one of the binds is seen inside the jail (the same path, but for /tmp ones)."""
    for src, shown in _shadowed.items():
        if path == src or path.startswith(src.rstrip("/") + "/"):
            return shown + path[len(src):]
    return path


def mount_proc(root: str) -> None:
    """Mount the jail's /proc; must run inside the new PID namespace, so it shows only the run's processes."""
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def enter_root(root: str, cwd: str = "/tmp") -> None:
    os.chdir(root)
    os.chroot(".")
    os.chdir(cwd)


def vm_size() -> int:
    """This process's virtual memory size (the baseline the memory budget is added to)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        raise IsolationError("cannot read the process size from /proc/self/statm") from None


def confine(uid: int, cpu_seconds: int, memory_bytes: int, file_bytes: int, processes: int, open_files: int,
            baseline: int | None = None) -> None:
    """Limits and privilege drop for the calling process; irreversible. Memory is a budget above the baseline.

    In userns mode the caller is already `uid` in a user namespace of its own (`enter_user_namespace`), where it
    holds every capability: they are all dropped (bounding set included); its supplementary groups cannot be
    dropped without root (``setgroups`` is denied in an unprivileged user namespace), see docs/sandbox.md."""
    setr = resource.setrlimit
    setr(resource.RLIMIT_CORE, (0, 0))
    setr(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    setr(resource.RLIMIT_AS, ((vm_size() if baseline is None else baseline) + memory_bytes,) * 2)
    setr(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    setr(resource.RLIMIT_NPROC, (processes, processes))
    setr(resource.RLIMIT_NOFILE, (open_files, open_files))
    setr(resource.RLIMIT_MSGQUEUE, (0, 0))
    _check(_c().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    if _mode == "userns":
        _drop_capabilities(uid)
        return
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() == 0 or os.geteuid() == 0:  # belt and braces: never run model code with privileges
        raise IsolationError("privilege drop did not take effect")


# ----------------------------------------------------------------------------------------------- userns mode
def set_mode(mode: str) -> None:
    """``root`` or ``userns``: how this launcher isolates (set once, before any run is forked)."""
    global _mode
    if mode not in MODES:
        raise IsolationError(f"unknown sandbox mode {mode!r}; one of {MODES}")
    _mode = mode


def mode() -> str:
    return _mode


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _map_ids(inner: int, outer_uid: int, outer_gid: int) -> None:
    """Map `inner` to the caller's uid/gid in the parent user namespace (the only ids an unprivileged process may
    map); ``setgroups`` must be denied first, as the kernel requires without CAP_SETGID in the parent."""
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inner} {outer_uid} 1")
    _write("/proc/self/gid_map", f"{inner} {outer_gid} 1")


def become_namespace_root(uid: int, gid: int) -> None:
    """Userns mode, once, in the launcher: a new user namespace mapping only uid 0 (and gid 0) to the caller's
    `uid`/`gid`, with a new network namespace and, for the next child, a new PID namespace (all owned by it), so the
    launcher may create and enter namespaces as the root mode does. IsolationError (one line: why, and how to
    enable user namespaces) when the kernel refuses."""
    if _c().unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise IsolationError(userns_refusal(err))
    _map_ids(0, uid, gid)


def enter_user_namespace(uid: int) -> None:
    """Userns mode, per run, in the run's init (after its mounts, before ``chroot``: the kernel refuses a new user
    namespace to a chrooted process, and so does it to the candidate): a user namespace of the run's own where the
    launcher's uid 0 is `uid`. The kernel counts RLIMIT_NPROC per (user namespace, uid), so the run's task limit
    counts this run alone, as a fresh uid does in root mode."""
    _check(_c().unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
    _map_ids(uid, 0, 0)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities(uid: int) -> None:
    """Every capability gone for good: the bounding set emptied, then effective/permitted/inheritable zeroed (the
    ambient set follows the permitted one); checked in /proc/self/status."""
    libc = _c()
    for cap in range(_CAP_LAST + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            if ctypes.get_errno() == 22:  # EINVAL: past the kernel's last capability
                break
            _check(-1, f"prctl(PR_CAPBSET_DROP, {cap})")
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")
    with open("/proc/self/status", "rb") as fh:
        status = dict(line.split(b":", 1) for line in fh if b":" in line)
    caps = [int(status[key].strip(), 16) for key in (b"CapEff", b"CapPrm", b"CapInh", b"CapBnd", b"CapAmb")]
    if any(caps) or os.getuid() != uid or os.geteuid() != uid or uid == 0:
        raise IsolationError("capability drop did not take effect")


def userns_refusal(err: int) -> str:
    """One line: why this machine refuses an unprivileged user namespace, and how to enable one."""
    def read(path: str) -> str | None:
        try:
            with open(path) as fh:
                return fh.read().strip()
        except OSError:
            return None

    base = (f"the code sandbox needs unprivileged user namespaces when not run as root, and the kernel refused "
            f"one ({os.strerror(err)})")
    if read("/proc/sys/kernel/unprivileged_userns_clone") == "0":
        how = "they are disabled: enable them with `sudo sysctl -w kernel.unprivileged_userns_clone=1`"
    elif read("/proc/sys/user/max_user_namespaces") == "0":
        how = "user.max_user_namespaces is 0: enable them with `sudo sysctl -w user.max_user_namespaces=15000`"
    elif read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1":
        how = ("AppArmor restricts them: `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or an "
               "AppArmor profile that allows userns for this python")
    else:
        how = ("a container or seccomp policy may forbid unshare(CLONE_NEWUSER): allow it (e.g. docker "
               "--security-opt seccomp=unconfined) or run the verifier as root")
    return f"{base}: {how} (see docs/sandbox.md). Refusing to run model code unprotected."
