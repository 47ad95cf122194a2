import {describe, expect, test} from 'vitest'

import {toolContractProblem, toolsConfig} from '../../../../src/local-cluster/data-plane/jobs/job-runner.js'
import {parseConnectionString} from '../../../../src/local-cluster/data-plane/programs/connection-string.js'
import {parseMongoshArgs, parseToolArgs} from '../../../../src/local-cluster/data-plane/programs/options.js'

describe('mongosh command lines (documented options only)', () => {
  test.each([
    [['--quiet', '--norc', 'mongodb://h:27017/?directConnection=true', '--file', '/ops/status.js'], {file: ['/ops/status.js'], quiet: ['true'], norc: ['true']}, ['mongodb://h:27017/?directConnection=true']],
    [['--quiet', '-f', '/ops/a.js', '-f', '/ops/b.js'], {file: ['/ops/a.js', '/ops/b.js'], quiet: ['true']}, []],
    [['--eval=db.hello()', '--host', 'h', '--port=27018'], {eval: ['db.hello()'], host: ['h'], port: ['27018']}, []],
    [['--json=relaxed', '--eval', '1'], {json: ['relaxed'], eval: ['1']}, []],
    [['-u', 'root', '--authenticationDatabase', 'admin'], {username: ['root'], authenticationDatabase: ['admin']}, []],
    [['--ssl'], {tls: ['true']}, []],
  ])('%j', (args, options, positional) => {
    const parsed = parseMongoshArgs(args)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(Object.fromEntries(parsed.parsed.options)).toEqual(options)
    expect(parsed.parsed.positional).toEqual(positional)
  })

  test('a deprecated alias works with mongosh\'s warning', () => {
    const parsed = parseMongoshArgs(['--sslCAFile', 'ca.pem'])
    expect(parsed.ok && parsed.parsed.warnings).toEqual(['WARNING: argument --sslCAFile is deprecated and will be removed. Use --tlsCAFile instead.'])
  })

  test.each([
    [['--quite'], 'MongoshUnimplementedError:   Error parsing command line: unrecognized option: --quite'],
    [['--fiel', 'x.js'], 'MongoshUnimplementedError:   Error parsing command line: unrecognized option: --fiel'],
    [['--replicaSet=rs'], 'MongoshUnimplementedError:   Error parsing command line: unrecognized option: --replicaSet'],
    [['--gssapiHostName', 'x'], 'MongoshUnimplementedError:   Argument --gssapiHostName is not supported in mongosh'],
    [['--file'], 'MongoshUnimplementedError:   Error parsing command line: option --file requires a value'],
  ])('%j is refused as mongosh refuses it', (args, message) => {
    expect(parseMongoshArgs(args)).toEqual({ok: false, stderr: [message]})
  })
})

describe('mongodump / mongorestore command lines', () => {
  test.each([
    ['mongodump', ['--config=/etc/mongo-tools/config.yaml', '--readPreference=secondary', '--oplog', '--gzip', '--archive=/backup/a.gz'], {config: ['/etc/mongo-tools/config.yaml'], readPreference: ['secondary'], oplog: ['true'], gzip: ['true'], archive: ['/backup/a.gz']}, []],
    ['mongodump', ['--archive', '-d', 'billing', '-vvv'], {archive: [''], db: ['billing'], verbose: ['3']}, []],
    ['mongorestore', ['--archive=/backup/a.gz', '--oplogReplay', '--oplogLimit', '1700000000:3', '--nsInclude', 'billing.*', '--nsInclude', 'auth.*'], {archive: ['/backup/a.gz'], oplogReplay: ['true'], oplogLimit: ['1700000000:3'], nsInclude: ['billing.*', 'auth.*']}, []],
    // An optional value is taken only with '=': `--archive PATH` leaves PATH positional (the tools' own rule).
    ['mongorestore', ['--archive', '/backup/a.gz'], {archive: ['']}, ['/backup/a.gz']],
  ] as const)('%s %j', (tool, args, options, positional) => {
    const parsed = parseToolArgs(tool, [...args])
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(Object.fromEntries(parsed.parsed.options)).toEqual(options)
    expect(parsed.parsed.positional).toEqual(positional)
  })

  test.each([
    ['mongodump', ['--oplogReplay'], "unknown flag `oplogReplay'"],
    ['mongorestore', ['--oplog'], "unknown flag `oplog'"],
    ['mongodump', ['--archiv=/x'], "unknown flag `archiv'"],
    ['mongodump', ['--gzip=true'], "bool flag `--gzip' cannot have an argument"],
    ['mongorestore', ['-z'], "unknown flag `z'"],
    ['mongodump', ['--out'], "expected argument for flag `--out'"],
  ] as const)('%s %j: %s', (tool, args, message) => {
    const parsed = parseToolArgs(tool, [...args])
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.stderr[0]).toMatch(new RegExp(`\\terror parsing command line options: ${message.replace(/[`'.*]/g, '.')}$`))
    expect(parsed.stderr[1]).toMatch(new RegExp(`try '${tool} --help' for more information$`))
  })

  test.each([
    ['mongodump', ['--gzip'], /use --archive=PATH/],
    ['mongodump', ['--archive=/a', '--out=/o'], /--archive and --out/],
    ['mongodump', ['--archive=/a', '--oplog', '--db=billing'], /--oplog mode only supported on full dumps/],
    ['mongorestore', ['--archive=/a', '--oplogLimit=1700000000'], /cannot use --oplogLimit without --oplogReplay/],
    ['mongorestore', ['--archive=/a', '--oplogReplay', '--oplogLimit=yesterday'], /error parsing timestamp argument to --oplogLimit/],
    ['mongorestore', ['--archive=/a', '--oplogReplay', '--oplogLimit=1700000000:7'], undefined],
    ['mongodump', ['--archive=/a', '--oplog', '--gzip'], undefined],
    // Oplog slices: local.oplog.rs to a directory; one --oplogFile per mongorestore run.
    ['mongodump', ['--db=local', '--collection=oplog.rs', '--query={}', '--gzip', '--out=/backup/dump'], undefined],
    ['mongodump', ['--db=billing', '--collection=invoices', '--out=/backup/dump'], /--db=local --collection=oplog.rs --out=DIR for an oplog slice/],
    ['mongodump', ['--db=local', '--query={}', '--out=/o'], /cannot dump using a query without a specified collection/],
    ['mongorestore', ['--oplogReplay', '--oplogFile=/s.bson.gz', '--gzip', '--dir=/empty'], undefined],
    ['mongorestore', ['--oplogFile=/s.bson.gz', '--dir=/empty'], /cannot use --oplogFile without --oplogReplay enabled/],
    ['mongorestore', ['--oplogReplay', '--oplogFile=/s.bson.gz', '--archive=/a'], /cannot use --oplogFile with --archive specified/],
    ['mongorestore', ['--oplogReplay', '--oplogFile=/s.bson.gz'], /names its \(empty\) target directory with --dir=DIR/],
    ['mongorestore', ['--gzip'], /use --archive=PATH .*or --oplogFile=FILE/],
  ] as const)('%s %j: %s', (tool, args, problem) => {
    const parsed = parseToolArgs(tool, [...args])
    if (!parsed.ok) throw new Error(parsed.stderr.join('\n'))
    const found = toolContractProblem(tool, parsed.parsed)
    if (problem === undefined) expect(found).toBeUndefined()
    else expect(found).toMatch(problem)
  })

  test.each([
    ['uri: mongodb://root:pw@h:27017/?replicaSet=rs&authSource=admin\n', {uri: 'mongodb://root:pw@h:27017/?replicaSet=rs&authSource=admin'}],
    ['password: pw\n', {password: 'pw'}],
    ['', {}],
    ['username: root\n', {error: 'yaml: unmarshal errors: field username not found in type struct'}],
  ])('--config file %j', (text, expected) => {
    expect(toolsConfig(text)).toEqual(expected)
  })
})

describe('connection strings', () => {
  test.each([
    ['mongodb://h:27017/?directConnection=true', ['h:27017'], {directconnection: 'true'}],
    ['mongodb://a:1,b:2/admin?replicaSet=rs&readPreference=primaryPreferred', ['a:1', 'b:2'], {replicaset: 'rs', readpreference: 'primaryPreferred'}],
    ['mongodb://h', ['h'], {}],
  ])('%s', (uri, hosts, options) => {
    const parsed = parseConnectionString(uri)
    expect(parsed.ok && parsed.value.hosts).toEqual(hosts)
    expect(parsed.ok && Object.fromEntries(parsed.value.options)).toEqual(options)
  })

  test.each([
    ['mongodb://h/?replicaset=rs&directConection=true', 'MongoParseError: option directconection is not supported'],
    ['http://h', 'MongoParseError: Invalid scheme, expected connection string to start with "mongodb://" or "mongodb+srv://"'],
  ])('%s is refused', (uri, error) => {
    expect(parseConnectionString(uri)).toEqual({ok: false, error})
  })

  test('credentials in the connection string are parsed (and the Job contract refuses them)', () => {
    const parsed = parseConnectionString('mongodb://root:p%40ss@h/')
    expect(parsed.ok && [parsed.value.username, parsed.value.password]).toEqual(['root', 'p@ss'])
  })
})
