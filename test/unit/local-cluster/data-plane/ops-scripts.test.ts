import {readFileSync} from 'node:fs'
import {Script} from 'node:vm'
import ts from 'typescript'
import {describe, expect, test} from 'vitest'

import {memberConfig, type MemberSpec} from '../../../../src/local-cluster/data-plane/config.js'
import {CONTRACT, PROBES} from '../../../../src/local-cluster/data-plane/jobs/contract.js'
import {nextReconfigStep} from '../../../../src/local-cluster/data-plane/reconfig-plan.js'
import {packagePath} from '../../../../src/package-root.js'

const scriptPath = (name: string) => packagePath('templates', 'mongodb', 'ops', name)
const scripts = Object.keys(CONTRACT.scripts)

/**
 * The mongosh methods the scripts may call, each documented in the MongoDB Shell reference
 * (https://www.mongodb.com/docs/mongodb-shell/reference/methods/) or the manual's method pages.
 */
const DB_METHODS = ['hello', 'getMongo', 'getSiblingDB', 'getReplicationInfo', 'adminCommand', 'getCollectionNames', 'getCollection', 'serverStatus', 'auth']
const RS_METHODS = ['status', 'conf', 'initiate', 'reconfig', 'stepDown']
/** Methods of a Mongo connection, a collection and a cursor (mongosh reference, same pages). */
const SHELL_OBJECT_METHODS = ['getDB', 'setReadPref', 'aggregate', 'countDocuments', 'find', 'sort', 'limit', 'toArray']
/** User management methods of a database (mongosh reference, "User Management Methods"): app-user.js. */
const USER_METHODS = ['getUser', 'getUsers', 'createUser', 'updateUser', 'dropUser']
/** Timestamp: the BSON constructor (https://www.mongodb.com/docs/mongodb-shell/reference/data-types/#timestamp). */
const SHELL_GLOBALS = ['print', 'quit', 'sleep', 'require', 'Mongo', 'Timestamp']
/** Plain JavaScript the scripts use. */
const JAVASCRIPT = [
  'parse', 'stringify', 'map', 'filter', 'find', 'some', 'every', 'includes', 'push', 'slice', 'sort', 'startsWith', 'join', 'entries', 'keys', 'max', 'round',
  'now', 'toISOString', 'getTime', 'writeFileSync', 'readFileSync', 'trim', 'isArray', 'isArray', 'has', 'get', 'set', 'assign', 'toLowerCase', 'main', 'String', 'Error', 'Date', 'Map', 'Set',
  'forEach', 'reduce', 'BigInt', 'toString', 'padStart', 'split',
]
/** Node.js built-ins mongosh scripts may require() (documented: mongosh supports require of Node modules). */
const NODE_BUILTINS = ['createHash', 'update', 'digest']

interface Call {
  root?: string
  name: string
  line: number
}

function calls(source: string, file: string): {calls: Call[]; declared: Set<string>} {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS)
  const found: Call[] = []
  const declared = new Set<string>()
  const visit = (node: ts.Node): void => {
    if ((ts.isFunctionDeclaration(node) || ts.isVariableDeclaration(node)) && node.name && ts.isIdentifier(node.name)) declared.add(node.name.text)
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression
      const line = sf.getLineAndCharacterOfPosition(node.getStart()).line + 1
      if (ts.isIdentifier(callee)) found.push({name: callee.text, line})
      else if (ts.isPropertyAccessExpression(callee)) found.push({root: ts.isIdentifier(callee.expression) ? callee.expression.text : undefined, name: callee.name.text, line})
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return {calls: found, declared}
}

describe('the ops scripts (templates/mongodb/ops/)', () => {
  test.each(scripts)('%s parses as a script', (name) => {
    expect(() => new Script(readFileSync(scriptPath(name), 'utf8'), {filename: name})).not.toThrow()
  })

  test.each(scripts)('%s calls documented mongosh methods only', (name) => {
    const {calls: found, declared} = calls(readFileSync(scriptPath(name), 'utf8'), name)
    const unknown = found.filter((call) => {
      if (call.root === 'db') return !DB_METHODS.includes(call.name)
      if (call.root === 'rs') return !RS_METHODS.includes(call.name)
      // Other receivers are connections, databases (getDB/getSiblingDB), collections and cursors.
      return ![...SHELL_OBJECT_METHODS, ...DB_METHODS, ...USER_METHODS, ...SHELL_GLOBALS, ...JAVASCRIPT, ...NODE_BUILTINS].includes(call.name) && !declared.has(call.name)
    })
    expect(unknown.map((c) => `${name}:${c.line} ${c.root ? `${c.root}.` : ''}${c.name}`)).toEqual([])
  })

  // The --nodb scripts read credentials from Secret volume files instead (status-all.js, app-user.js).
  const singleDatabase = scripts.filter((name) => name !== 'status-all.js' && name !== 'app-user.js')
  test.each(singleDatabase)('%s reads its parameters and credentials from the contract env and writes the termination log', (name) => {
    const source = readFileSync(scriptPath(name), 'utf8')
    expect(source).toContain(`process.env.${CONTRACT.paramsEnv}`)
    expect(source).toContain(`process.env.${CONTRACT.usernameEnv}`)
    expect(source).toContain(`process.env.${CONTRACT.passwordEnv}`)
    expect(source).toContain("writeFileSync('/dev/termination-log'")
  })

  test('status-all.js reads credentials from each database\'s Secret files, never from env', () => {
    const source = readFileSync(scriptPath('status-all.js'), 'utf8')
    expect(source).toContain(`process.env.${CONTRACT.paramsEnv}`)
    expect(source).not.toContain(`process.env.${CONTRACT.usernameEnv}`)
    expect(source).not.toContain(`process.env.${CONTRACT.passwordEnv}`)
    for (const file of CONTRACT.credentialFiles) expect(source).toContain(`'${file}'`)
    expect(source).toContain("writeFileSync('/dev/termination-log'")
  })

  test('app-user.js reads both passwords from Secret volume files, never from env', () => {
    const source = readFileSync(scriptPath('app-user.js'), 'utf8')
    expect(source).toContain(`process.env.${CONTRACT.paramsEnv}`)
    expect(source).not.toContain(`process.env.${CONTRACT.usernameEnv}`)
    expect(source).not.toContain(`process.env.${CONTRACT.passwordEnv}`)
    for (const file of CONTRACT.credentialFiles) expect(source).toContain(`'${file}'`)
    expect(source).toContain('readFileSync(')
  })

  test('the contract README names every script, env var and the exact probe commands', () => {
    const readme = readFileSync(packagePath('templates', 'mongodb', 'ops', 'README.md'), 'utf8')
    for (const name of scripts) expect(readme).toContain(name)
    for (const env of [CONTRACT.paramsEnv, CONTRACT.usernameEnv, CONTRACT.passwordEnv]) expect(readme).toContain(env)
    expect(readme).toContain(JSON.stringify(PROBES.readiness))
    expect(readme).toContain(JSON.stringify(PROBES.liveness))
  })
})

/** reconfigure.js's planner, taken out of the script and run as it is. */
function scriptPlanner(): (current: unknown, desired: unknown, primary?: string) => unknown {
  const source = readFileSync(scriptPath('reconfigure.js'), 'utf8')
  const start = source.indexOf('function nextReconfigStep(')
  const sf = ts.createSourceFile('reconfigure.js', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS)
  let text = ''
  sf.forEachChild((node) => {
    if (ts.isFunctionDeclaration(node) && node.name?.text === 'nextReconfigStep') text = source.slice(node.getStart(), node.getEnd())
  })
  expect(start).toBeGreaterThan(0)
  return new Function(`const MAX_VOTING_MEMBERS = 7;\n${text}\nreturn nextReconfigStep`)() as (current: unknown, desired: unknown, primary?: string) => unknown
}

describe('the reconfigure planner: one voter per reconfig; script and simulator agree', () => {
  const current = (specs: MemberSpec[]) => ({members: specs.map((spec, i) => memberConfig(i, spec))})
  const h = (n: string) => `${n}:27017`
  const three = [{host: h('a')}, {host: h('b')}, {host: h('c')}]
  const seven = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => ({host: h(n)}))
  const cases: Array<[string, MemberSpec[], MemberSpec[], string | undefined, string[] | 'none' | RegExp]> = [
    ['already in shape', three, three, h('a'), 'none'],
    ['one voter to add', three, [...three, {host: h('d')}], h('a'), [`add voter ${h('d')}`]],
    ['two voters to add: the first only', three, [...three, {host: h('d')}, {host: h('e')}], h('a'), [`add voter ${h('d')}`]],
    ['a voter to remove', three, three.slice(0, 2), h('a'), [`remove voter ${h('c')}`]],
    ['priorities only: all in one step', three, [{host: h('a'), priority: 3}, {host: h('b'), priority: 2}, {host: h('c')}], h('a'), [`${h('a')}: priority 1 -> 3`, `${h('b')}: priority 1 -> 2`]],
    ['a priority and a voter together', three, [{host: h('a'), priority: 2}, {host: h('b')}, {host: h('c')}, {host: h('d')}], h('a'), [`${h('a')}: priority 1 -> 2`, `add voter ${h('d')}`]],
    ['voter to non-voter takes priority 0', three, [{host: h('a')}, {host: h('b')}, {host: h('c'), votes: 0, priority: 0}], h('a'), [`${h('c')}: votes 1 -> 0`]],
    ['non-voting members ride along with one voter change', three, [...three, {host: h('x'), votes: 0, priority: 0}, {host: h('y'), votes: 0, priority: 0}, {host: h('d')}], h('a'), [`add non-voting ${h('x')}`, `add non-voting ${h('y')}`, `add voter ${h('d')}`]],
    ['at the 7-voter limit: remove before adding', seven, [...seven.slice(1), {host: h('z')}], h('b'), [`remove voter ${h('a')}`]],
    ['making the primary unelectable is refused', three, [{host: h('a'), priority: 0, votes: 0}, {host: h('b')}, {host: h('c')}], h('a'), /makes the current primary a:27017 unelectable/],
    ['removing the primary is refused', three, three.slice(1), h('a'), /makes the current primary a:27017 unelectable/],
    ['an arbiter cannot become a data member in place', [...three, {host: h('d'), arbiterOnly: true}], [...three, {host: h('d')}], h('a'), /cannot change arbiterOnly in place/],
  ]
  const script = scriptPlanner()

  test.each(cases)('%s', (_name, from, desired, primary, expected) => {
    const ours = nextReconfigStep(current(from), desired, primary)
    const theirs = script(current(from), desired, primary)
    expect(JSON.parse(JSON.stringify(theirs ?? null))).toEqual(JSON.parse(JSON.stringify(ours ?? null)))
    if (expected === 'none') expect(ours).toBeUndefined()
    else if (expected instanceof RegExp) expect(ours && 'error' in ours ? ours.error : '').toMatch(expected)
    else expect(ours && 'changes' in ours ? ours.changes : []).toEqual(expected)
  })

  test('a plan reaches the desired config step by step, changing at most one voter each time', () => {
    let config = current(three)
    const desired: MemberSpec[] = [{host: h('c'), priority: 2}, {host: h('d')}, {host: h('e')}, {host: h('f'), votes: 0, priority: 0}]
    let steps = 0
    for (;;) {
      const step = nextReconfigStep(config, desired, h('c'))
      if (!step) break
      if ('error' in step) throw new Error(step.error)
      const voters = (c: typeof config) => new Set(c.members.filter((m) => m.votes > 0).map((m) => m.host))
      const before = voters(config)
      const after = voters(step.config)
      const changed = [...before].filter((x) => !after.has(x)).length + [...after].filter((x) => !before.has(x)).length
      expect(changed).toBeLessThanOrEqual(1)
      config = step.config
      steps++
      expect(steps).toBeLessThan(10)
    }
    expect(config.members.map((m) => [m.host, m.votes, m.priority]).sort()).toEqual([
      [h('c'), 1, 2],
      [h('d'), 1, 1],
      [h('e'), 1, 1],
      [h('f'), 0, 0],
    ])
  })
})
