/**
 * Build-time generator of `k8s-definitions.json.gz`, the OpenAPI v2 definitions the local API
 * server publishes (through /openapi/v2 and /openapi/v3) for kubectl `apply`, `explain` and
 * field validation.
 *
 * Why generated: no npm package ships a recent upstream Kubernetes OpenAPI document
 * (`kubernetes-client@9` has 1.13, without policy/v1, autoscaling/v2 or batch/v1 CronJob), and
 * kubernetes-models ships compiled validators only. Its `.d.ts` declarations, however, are
 * generated from the upstream document (1.3x) and keep every field, type, required list and
 * description, so this script reads them back with the TypeScript compiler API. The patch
 * extensions (`x-kubernetes-patch-merge-key`) come from our own merge-key table, which mirrors
 * the upstream Go tags.
 *
 * Run: node --import tsx src/local-cluster/openapi/generate-definitions.ts
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'

import {isSetList, mergeKeyFor} from '../api-server/patch/merge-keys.js'
import {builtinTypes} from '../store/builtin-types.js'
import type {SchemaDefinition} from './definitions.js'

type TS = typeof import('typescript')

const require = createRequire(import.meta.url)
const MODELS_ROOT = dirname(require.resolve('kubernetes-models/package.json'))
const MACHINERY_ROOT = dirname(require.resolve('@kubernetes-models/apimachinery/package.json'))
const OUTPUT = join(dirname(fileURLToPath(import.meta.url)), 'k8s-definitions.json.gz')

/** Definition name the way the upstream document spells it, from the .d.ts file's location. */
function definitionName(file: string): string {
  const base = file.replace(/\.d\.ts$/, '')
  if (base.startsWith(MACHINERY_ROOT)) return `io.k8s.apimachinery.pkg.${relative(MACHINERY_ROOT, base).split('/').join('.')}`
  const parts = relative(MODELS_ROOT, base).split('/')
  if (parts.length === 2) return `io.k8s.api.core.${parts.join('.')}`
  const [group, version, kind] = parts
  if (group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${kind}`
  return `io.k8s.api.${group.split('.')[0]}.${version}.${kind}`
}

function resolveModule(fromFile: string, specifier: string): string {
  if (specifier.startsWith('.')) return `${resolve(dirname(fromFile), specifier)}.d.ts`
  if (specifier.startsWith('@kubernetes-models/apimachinery/')) return `${join(MACHINERY_ROOT, specifier.slice('@kubernetes-models/apimachinery/'.length))}.d.ts`
  if (specifier.startsWith('kubernetes-models/')) return `${join(MODELS_ROOT, specifier.slice('kubernetes-models/'.length))}.d.ts`
  throw new Error(`cannot resolve ${specifier} from ${fromFile}`)
}

function docOf(ts: TS, node: import('typescript').Node): string | undefined {
  const docs = (node as unknown as {jsDoc?: Array<{comment?: string | Array<{text: string}>}>}).jsDoc
  const comment = docs?.at(-1)?.comment
  if (!comment) return undefined
  const text = typeof comment === 'string' ? comment : comment.map((c) => c.text).join('')
  void ts
  return text.replaceAll('\\*', '*').trim()
}

class Generator {
  readonly definitions: Record<string, SchemaDefinition> = {}
  private readonly queue: string[] = []

  constructor(private readonly ts: TS) {}

  add(file: string): string {
    const name = definitionName(file)
    if (!(name in this.definitions)) {
      this.definitions[name] = {}
      this.queue.push(file)
    }
    return name
  }

  run(): void {
    while (this.queue.length > 0) this.convertFile(this.queue.shift()!)
  }

  private convertFile(file: string): void {
    const ts = this.ts
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const imports = new Map<string, string>()
    let main: import('typescript').InterfaceDeclaration | import('typescript').TypeAliasDeclaration | undefined
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && statement.importClause?.namedBindings && ts.isNamedImports(statement.importClause.namedBindings)) {
        const specifier = (statement.moduleSpecifier as import('typescript').StringLiteral).text
        if (specifier.startsWith('@kubernetes-models/base')) continue
        for (const element of statement.importClause.namedBindings.elements) imports.set(element.name.text, resolveModule(file, specifier))
      }
      if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && !main) main = statement
    }
    if (!main) throw new Error(`no declaration in ${file}`)
    const name = definitionName(file)
    const description = docOf(ts, main)
    const schema: SchemaDefinition = ts.isInterfaceDeclaration(main) ? this.objectSchema(main.members, imports) : this.typeSchema(main.type, imports, '')
    if (description) schema.description = description
    if (/\.v1\.(Micro)?Time$/.test(name)) schema.format = 'date-time'
    const gvk = this.groupVersionKind(main)
    if (gvk) schema['x-kubernetes-group-version-kind'] = [gvk]
    this.definitions[name] = schema
  }

  private groupVersionKind(main: import('typescript').Node): {group: string; version: string; kind: string} | undefined {
    const ts = this.ts
    if (!ts.isInterfaceDeclaration(main)) return undefined
    const literal = (prop: string): string | undefined => {
      const member = main.members.find((m) => ts.isPropertySignature(m) && (m.name as import('typescript').StringLiteral).text === prop) as import('typescript').PropertySignature | undefined
      const type = member?.type
      return type && ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal) ? type.literal.text : undefined
    }
    const apiVersion = literal('apiVersion')
    const kind = literal('kind')
    if (!apiVersion || !kind) return undefined
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
    return {group, version, kind}
  }

  private objectSchema(members: import('typescript').NodeArray<import('typescript').TypeElement>, imports: Map<string, string>): SchemaDefinition {
    const ts = this.ts
    const properties: Record<string, SchemaDefinition> = {}
    const required: string[] = []
    for (const member of members) {
      if (ts.isIndexSignatureDeclaration(member)) continue
      if (!ts.isPropertySignature(member) || !member.type) continue
      const key = (member.name as import('typescript').StringLiteral | import('typescript').Identifier).text
      // apiVersion/kind are typed as literals in the models; the document has plain strings.
      const property = key === 'apiVersion' || key === 'kind' ? {type: 'string'} : this.typeSchema(member.type, imports, key)
      const description = docOf(ts, member)
      if (description) property.description = description
      properties[key] = property
      if (!member.questionToken) required.push(key)
    }
    const index = members.find((m) => ts.isIndexSignatureDeclaration(m)) as import('typescript').IndexSignatureDeclaration | undefined
    if (index && Object.keys(properties).length === 0) return {type: 'object', additionalProperties: this.typeSchema(index.type, imports, '')}
    return {type: 'object', properties, ...(required.length > 0 ? {required: required.filter((r) => r !== 'apiVersion' && r !== 'kind')} : {})}
  }

  private typeSchema(type: import('typescript').TypeNode, imports: Map<string, string>, field: string): SchemaDefinition {
    const ts = this.ts
    if (type.kind === ts.SyntaxKind.StringKeyword) return {type: 'string'}
    if (type.kind === ts.SyntaxKind.NumberKeyword) return {type: 'integer', format: 'int32'}
    if (type.kind === ts.SyntaxKind.BooleanKeyword) return {type: 'boolean'}
    if (type.kind === ts.SyntaxKind.AnyKeyword || type.kind === ts.SyntaxKind.UnknownKeyword) return {'x-kubernetes-preserve-unknown-fields': true}
    if (ts.isLiteralTypeNode(type)) return ts.isStringLiteral(type.literal) ? {type: 'string', enum: [type.literal.text]} : {type: 'string'}
    if (ts.isParenthesizedTypeNode(type)) return this.typeSchema(type.type, imports, field)
    if (ts.isUnionTypeNode(type)) {
      const literals = type.types.filter((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal))
      if (literals.length === type.types.length) return {type: 'string', enum: literals.map((t) => ((t as import('typescript').LiteralTypeNode).literal as import('typescript').StringLiteral).text)}
      const kinds = new Set(type.types.map((t) => t.kind))
      if (kinds.has(ts.SyntaxKind.StringKeyword) && kinds.has(ts.SyntaxKind.NumberKeyword)) return {type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true}
      return this.typeSchema(type.types[0], imports, field)
    }
    if (ts.isArrayTypeNode(type)) return this.arraySchema(this.typeSchema(type.elementType, imports, ''), field)
    if (ts.isTypeReferenceNode(type)) {
      const name = type.typeName.getText()
      if (name === 'Array' && type.typeArguments?.[0]) return this.arraySchema(this.typeSchema(type.typeArguments[0], imports, ''), field)
      const file = imports.get(name)
      if (file) return {$ref: `#/definitions/${this.add(file)}`}
      return {'x-kubernetes-preserve-unknown-fields': true}
    }
    if (ts.isTypeLiteralNode(type)) return this.objectSchema(type.members, imports)
    return {'x-kubernetes-preserve-unknown-fields': true}
  }

  private arraySchema(items: SchemaDefinition, field: string): SchemaDefinition {
    const schema: SchemaDefinition = {type: 'array', items}
    if (isSetList(field)) schema['x-kubernetes-patch-strategy'] = 'merge'
    const key = field === 'ports' ? '' : mergeKeyFor(field, undefined, [])
    if (key) {
      schema['x-kubernetes-patch-merge-key'] = key
      schema['x-kubernetes-patch-strategy'] = 'merge'
    }
    return schema
  }
}

/** Fixes the merge key of `ports`, which depends on the parent type (containers vs services). */
function fixPorts(definitions: Record<string, SchemaDefinition>): void {
  for (const [name, schema] of Object.entries(definitions)) {
    const ports = schema.properties?.ports
    if (!ports || ports.type !== 'array') continue
    if (name === 'io.k8s.api.core.v1.Container' || name === 'io.k8s.api.core.v1.EphemeralContainer') {
      Object.assign(ports, {'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-patch-strategy': 'merge'})
    } else if (name === 'io.k8s.api.core.v1.ServiceSpec') {
      Object.assign(ports, {'x-kubernetes-patch-merge-key': 'port', 'x-kubernetes-patch-strategy': 'merge'})
    }
  }
}

export async function main(): Promise<void> {
  const ts = (await import('typescript')).default
  const generator = new Generator(ts)
  const roots = builtinTypes().filter((t) => t.group !== 'local.mygate.dev')
  for (const type of roots) {
    for (const version of type.versions ?? [type.version]) {
      generator.add(join(MODELS_ROOT, type.group === '' ? version : `${type.group}/${version}`, `${type.kind}.d.ts`))
    }
  }
  generator.add(join(MODELS_ROOT, 'autoscaling/v1/Scale.d.ts'))
  generator.add(join(MACHINERY_ROOT, 'apis/meta/v1/Status.d.ts'))
  generator.add(join(MACHINERY_ROOT, 'apis/meta/v1/DeleteOptions.d.ts'))
  generator.run()
  fixPorts(generator.definitions)
  const sorted = Object.fromEntries(Object.entries(generator.definitions).sort(([a], [b]) => a.localeCompare(b)))
  const json = JSON.stringify(sorted)
  writeFileSync(OUTPUT, gzipSync(json, {level: 9}))
  process.stderr.write(`wrote ${Object.keys(sorted).length} definitions (${json.length} bytes, gzipped to ${gzipSync(json).length}) to ${OUTPUT}\n`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await main()
