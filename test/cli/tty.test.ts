import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {CLI_BIN} from '../helpers/cli.js'
import {createLocalHome, type LocalHome} from '../helpers/local-home.js'
import {findOnPath} from '../helpers/programs.js'

/**
 * What a person at a terminal sees: the listr2 task tree and the typed confirmation, driven
 * through tmux (a real pseudo-terminal with a size), as a user would type.
 */
describe('in a terminal (tmux)', () => {
  let local: LocalHome
  const session = `mygate-test-${process.pid}`
  const tmux = (...args: string[]) => {
    const binary = findOnPath('tmux')
    if (!binary) throw new Error('tmux is not on PATH: the terminal tests drive the CLI through it (apt-get install tmux)')
    return execa(binary, args, {reject: false})
  }
  const screen = async () => String((await tmux('capture-pane', '-p', '-t', session)).stdout)
  const waitFor = async (text: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const shown = await screen()
      if (shown.includes(text)) return shown
      if (Date.now() > deadline) throw new Error(`"${text}" never appeared; the screen shows:\n${shown}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  const start = async (args: string) => {
    await tmux('kill-session', '-t', session)
    const env = Object.entries(local.env)
      .filter(([key]) => key !== 'CI')
      .map(([key, value]) => `${key}=${value}`)
      .join(' ')
    const started = await tmux('new-session', '-d', '-s', session, '-x', '140', '-y', '50', `env -u CI ${env} ${process.execPath} ${CLI_BIN} ${args}; echo EXIT=$?; sleep 60`)
    if (started.exitCode !== 0) throw new Error(String(started.stderr))
  }

  beforeAll(() => {
    local = createLocalHome()
  })
  afterAll(async () => {
    await tmux('kill-session', '-t', session)
    await local.cleanup()
  })

  test('env create shows the listr2 task tree with the elapsed time of each phase', async () => {
    await start('env create tty')
    const shown = await waitFor('EXIT=', 60_000)
    expect(shown).toContain('EXIT=0')
    expect(shown).toMatch(/✔ Clusters: 1 cluster ready \(\d/)
    expect(shown).toMatch(/✔ Services: 18\/18 workloads ready \(\d/)
    expect(shown).not.toMatch(/\[\d\d:\d\d:\d\d\]/)
  })

  test('env destroy asks for the name to be typed, and a wrong name changes nothing', async () => {
    // Its own environment, created without a terminal: the test above is not a prerequisite.
    const created = await local.cli(['env', 'create', 'doomed'])
    expect(created.exitCode, created.stderr).toBe(0)
    await start('env destroy doomed')
    await waitFor('Type "doomed" to destroy environment doomed')
    await tmux('send-keys', '-t', session, 'nope', 'Enter')
    const refused = await waitFor('EXIT=')
    expect(refused).toContain('confirmation "nope" does not match "doomed"')
    expect(refused).toContain('EXIT=2')
    expect((await local.cli(['env', 'describe', 'doomed'])).exitCode).toBe(0)
    await start('env destroy doomed')
    await waitFor('Type "doomed" to destroy environment doomed')
    await tmux('send-keys', '-t', session, 'doomed', 'Enter')
    const done = await waitFor('EXIT=')
    expect(done).toContain('environment doomed destroyed')
    expect(done).toContain('EXIT=0')
    expect((await local.cli(['env', 'describe', 'doomed'])).exitCode).toBe(3)
  })
})
