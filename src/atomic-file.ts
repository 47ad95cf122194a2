import {randomBytes} from 'node:crypto'
import {mkdir, open, rename, rm} from 'node:fs/promises'
import {dirname, join, basename} from 'node:path'

/**
 * Writes a file so that readers (and a crash) see either the old or the new contents, never a
 * torn one: write a temp file beside it, fsync, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, {recursive: true})
  const temp = join(dir, `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'w', mode)
  try {
    await handle.writeFile(data)
    // The mode given to open() is filtered by the umask; secrets (kubeconfigs) need it exact.
    await handle.chmod(mode)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
  const dirHandle = await open(dir, 'r')
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}
