import {isAbsolute, relative} from 'node:path'

/**
 * The path shown in messages: relative to the cwd when inside it, absolute otherwise. Its own
 * module (re-exported by yaml-source.ts) so a caller that only names files does not load the
 * YAML parser.
 */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, file)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}
