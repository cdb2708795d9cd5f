/**
 * `save_to`: a copy of what a call made, written where the project needs it (an icon into
 * `assets/`, a voice-over beside the code). The path comes from the caller, so it is checked
 * twice: when the call is made — before anything is paid for, so a bad path costs nothing — and
 * again just before writing, because the folder may have changed while a long job ran.
 *
 * Rules: the path is relative to the first allowed root, or absolute inside one of them; a `..`
 * segment is refused outright (even one that would stay inside), and so is `.git` (a repository's
 * config and hooks run commands, so an agent talked into it must not write there); no existing part of the path may
 * be a symlink that leads out of its root; an existing file is replaced only with `overwrite`.
 * The bytes are copied (a reflink where the filesystem has them), not hard-linked: a hard link
 * would share the artifact's inode, so an edit of the project file in place would change the
 * stored artifact behind its checksum, and the store's 0600 mode would carry over to the project.
 */
import { constants } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ProviderError } from '../providers/errors.js';

/** Where one call's files go, as checked when the call was made; kept with the job. */
export interface SavePlan {
  /** The allowed root the path lies in (absolute, as configured or given by the client). */
  root: string;
  /** Absolute target path of the first (or only) file. */
  path: string;
  /** What the caller asked for, for messages. */
  requested: string;
  overwrite: boolean;
}

export interface SavedFile {
  path: string;
  /** The artifact it is a copy of; absent for a text answer. */
  uri?: string;
}

/**
 * Checks `requested` against the allowed roots and returns where the files will go, or throws an
 * `invalid_request` naming save_to and the roots. `count` files get `-1`, `-2`… suffixes when
 * more than one; each of them is checked.
 */
export async function planSave(requested: string, roots: readonly string[], opts: { count: number; overwrite: boolean; noRoots: string }): Promise<SavePlan> {
  const refuse = (why: string) => refusal(requested, roots, why);
  if (!roots.length) throw refuse(opts.noRoots);
  const segments = requested.split(/[\\/]/);
  if (segments.includes('..')) throw refuse("'..' is not allowed in the path");
  // A repository's own files run commands (hooks, core.fsmonitor): no generated file goes there.
  if (segments.some((s) => s.toLowerCase() === '.git')) throw refuse("a path into '.git' is not allowed");
  if (requested.endsWith('/') || requested.endsWith('\\') || requested.trim() === '' || requested.trim() === '.') throw refuse('it names a folder, not a file');
  const absolute = isAbsolute(requested);
  const root = absolute ? roots.find((r) => isInside(resolve(requested), r)) : roots[0];
  if (!root) throw refuse('an absolute path must lie inside one of the allowed roots');
  const path = resolve(root, requested);
  if (path === resolve(root)) throw refuse('it names the root itself, not a file');
  const plan: SavePlan = { root, path, requested, overwrite: opts.overwrite };
  for (const target of savePaths(plan, opts.count)) {
    const why = await problemWith(target, root, opts.overwrite);
    if (why) throw refuse(why);
  }
  return plan;
}

/** The target of each of `count` files: the path itself for one, `name-1.ext`, `name-2.ext`… for more. */
export function savePaths(plan: SavePlan, count: number): string[] {
  if (count <= 1) return [plan.path];
  const ext = extname(plan.path);
  const stem = plan.path.slice(0, plan.path.length - ext.length);
  return Array.from({ length: count }, (_, i) => `${stem}-${i + 1}${ext}`);
}

/**
 * Writes one file to `target`: checked again (the folder may have changed since the call), then
 * written to a temp name beside it and moved into place, so the target is never half-written. Without
 * `overwrite`, the move is a link(2), which fails if a file appeared there meanwhile: nothing is
 * clobbered, even in a race.
 */
export async function writeSaved(plan: SavePlan, target: string, from: { file: string } | { data: Uint8Array }): Promise<void> {
  const why = await problemWith(target, plan.root, plan.overwrite);
  if (why) throw refusal(plan.requested, [plan.root], why, false);
  await mkdir(dirname(target), { recursive: true });
  // mkdir follows a symlink made in the meantime: look at where the folder really is before writing.
  if (!isInside(await realpath(dirname(target)), await realpath(plan.root))) throw refusal(plan.requested, [plan.root], 'the folder leads out of the root', false);
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    if ('file' in from) await copyFile(from.file, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    else await writeFile(tmp, from.data, { flag: 'wx' });
    // A project file, not a private artifact: the usual mode for new files, as the umask says.
    await chmod(tmp, 0o666 & ~process.umask());
    if (plan.overwrite) await rename(tmp, target);
    else await link(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refusal(plan.requested, [plan.root], `${target} already exists; pass overwrite: true to replace it`, false);
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Why `target` cannot be written, or undefined when it can. */
async function problemWith(target: string, root: string, overwrite: boolean): Promise<string | undefined> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return `the root ${root} does not exist`;
  }
  // The deepest part of the path that exists must really (after symlinks) be inside the root.
  let existing = dirname(target);
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `${existing} cannot be read (${(err as NodeJS.ErrnoException).code})`;
      existing = dirname(existing);
    }
  }
  const real = await realpath(existing).catch(() => undefined);
  if (!real || !isInside(real, realRoot)) return `${relative(root, existing) || existing} is a symlink that leads out of the root`;
  try {
    const st = await lstat(target);
    if (st.isSymbolicLink()) return `${target} is a symlink; it is not followed or replaced`;
    if (!st.isFile()) return `${target} exists and is not a file`;
    if (!overwrite) return `${target} already exists; pass overwrite: true to replace it`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `${target} cannot be read (${(err as NodeJS.ErrnoException).code})`;
  }
  return undefined;
}

function isInside(path: string, root: string): boolean {
  const r = resolve(root);
  return path === r || path.startsWith(r.endsWith(sep) ? r : r + sep);
}

/** `nothingWritten`: said when the refusal comes before the call ran; afterwards the artifact itself exists. */
function refusal(requested: string, roots: readonly string[], why: string, nothingWritten = true): ProviderError {
  const allowed = roots.length ? `Allowed roots: ${roots.join(', ')}.` : 'Allowed roots: none.';
  return new ProviderError({ code: 'invalid_request', message: `save_to "${requested}" refused: ${why}. ${allowed}${nothingWritten ? ' Nothing was written.' : ''}` });
}
