"""Refuse a SQLite file on a network share: SQLite's WAL mode needs shared memory that
network file systems do not provide, so several machines would corrupt the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NETWORK_FS_TYPES = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smbfs", "smb3", "afpfs", "webdav", "davfs", "fuse.sshfs",
    "sshfs", "9p", "ncpfs", "fuse.rclone", "fuse.gvfsd-fuse", "ceph", "glusterfs",
    "fuse.glusterfs", "lustre", "afs",
})


def mount_type_of(path: Path, mount_table: list[tuple[str, str]]) -> str | None:
    """The file-system type of the longest mount point containing ``path``.

    ``mount_table`` is a list of (mount point, file-system type)."""
    resolved = str(path.resolve())
    best, best_type = "", None
    for mount_point, fs_type in mount_table:
        prefix = mount_point.rstrip("/") + "/"
        inside = resolved == mount_point or resolved.startswith(prefix)
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fs_type
    return best_type


def parse_proc_mounts(text: str) -> list[tuple[str, str]]:
    table = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            # /proc/mounts escapes spaces in paths as \040
            table.append((fields[1].replace("\\040", " "), fields[2]))
    return table


def parse_bsd_mount_output(text: str) -> list[tuple[str, str]]:
    """macOS ``mount`` lines: ``//user@server/share on /Volumes/share (smbfs, nodev)``."""
    table = []
    for line in text.splitlines():
        if " on " not in line or " (" not in line:
            continue
        _, rest = line.split(" on ", 1)
        point, opts = rest.rsplit(" (", 1)
        table.append((point, opts.split(",")[0].strip(" )")))
    return table


def network_share_reason(path: Path) -> str | None:
    """Why ``path`` is on a network share, or None when it is (as far as we can tell) local."""
    folder = path if path.is_dir() else path.parent
    if sys.platform == "win32":
        text = str(folder.resolve())
        if text.startswith("\\\\"):
            return f"{text} is a network (UNC) path"
        import ctypes

        drive = os.path.splitdrive(text)[0] + "\\"
        if ctypes.windll.kernel32.GetDriveTypeW(drive) == 4:  # DRIVE_REMOTE
            return f"drive {drive} is a mapped network drive"
        return None
    try:
        if sys.platform == "darwin":
            table = parse_bsd_mount_output(
                subprocess.run(["mount"], capture_output=True, text=True, timeout=5).stdout
            )
        else:
            table = parse_proc_mounts(Path("/proc/mounts").read_text())
    except (OSError, subprocess.SubprocessError):
        return None
    fs_type = mount_type_of(folder, table)
    if fs_type and fs_type.lower() in NETWORK_FS_TYPES:
        return f"{folder} is on a network file system ({fs_type})"
    return None
