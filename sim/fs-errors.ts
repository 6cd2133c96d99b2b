// File-system errors on paths a user gave (--out, --trace, --config, convert IN OUT) are input
// mistakes, not bugs: they become one line naming the path and what is wrong, never a stack trace.

/** errno codes that mean "this path cannot be used as given" (exit 2 as any bad input). */
const USER_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  ENOTEMPTY: 'directory not empty',
  EXDEV: 'on another file system',
};

/** errno codes of the machine's state rather than the input (exit 1, still one line). */
const ENV_CODES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'device or resource busy',
};

/** A Node file-system error (has an errno code we know). */
export function isFsError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && (code in USER_CODES || code in ENV_CODES);
}

/** Exit code for a file-system error: 2 when the path given is unusable, 1 when the machine is (disk full). */
export function fsExitCode(err: NodeJS.ErrnoException): number {
  return err.code !== undefined && err.code in ENV_CODES ? 1 : 2;
}

/** "permission denied (EACCES)" */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const text = USER_CODES[code] ?? ENV_CODES[code];
  return text ? `${text} (${code})` : (err as Error).message;
}

/**
 * "/proc/run: cannot create directory: no such file or directory (ENOENT)": `what` names the
 * path (default: the error's own path; "" for none, when the caller has named it already).
 */
export function fsMessage(err: NodeJS.ErrnoException, what?: string): string {
  const verb: Record<string, string> = { open: 'cannot open', mkdir: 'cannot create directory', rename: 'cannot rename', scandir: 'cannot list', rmdir: 'cannot remove', unlink: 'cannot remove', stat: 'cannot read', lstat: 'cannot read', write: 'cannot write', read: 'cannot read' };
  const action = (err.syscall && verb[err.syscall]) ?? 'cannot use';
  const path = what ?? err.path ?? '';
  return `${path}${path ? ': ' : ''}${action}: ${fsReason(err)}`;
}
