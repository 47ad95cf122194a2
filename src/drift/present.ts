import type {DriftedField, EnvironmentDiff, ObjectDrift} from './diff.js'

/**
 * `env diff` for a person, like a plan of what `env sync` would do:
 *   ~ an object or field that differs (live -> desired)
 *   + what the live object lacks and sync would put back (a missing object, a removed field)
 *   - what only the live side has and sync removes (a field someone added; an undeclared object, with --prune)
 * Each field names the manager that set the live value. Secret values appear only as hashes.
 */
export function diffLines(diff: EnvironmentDiff): string[] {
  const lines: string[] = []
  const scope = diff.services ? `, services ${diff.services.join(', ')}` : ''
  lines.push(`Drift in environment ${diff.environment} (tier ${diff.tier}, active region ${diff.activeRegion}; compared ${diff.regions.join(', ')}${scope}):`)
  for (const region of diff.regions) {
    const objects = diff.objects.filter((o) => o.region === region)
    if (diff.regions.length > 1 || objects.length > 0) lines.push(`  region ${region}: ${objects.length === 0 ? 'no drift' : `${objects.length} object${objects.length === 1 ? '' : 's'}`}`)
    for (const object of objects) lines.push(...objectLines(object))
  }
  for (const i of diff.infrastructure ?? []) lines.push(`  ~ infrastructure ${i.region} ${i.resource} ${i.field}: ${show(i.live)} -> ${show(i.desired)}`)
  for (const s of diff.skipped) lines.push(`  skipped ${s.kind} ${qualified(s)} in ${s.region}: ${s.reason}`)
  return lines
}

function qualified(o: {namespace?: string; name: string}): string {
  return o.namespace ? `${o.namespace}/${o.name}` : o.name
}

function objectLines(object: ObjectDrift): string[] {
  const name = `${object.kind} ${qualified(object)}${object.service ? ` (${object.service})` : ''}`
  if (object.status === 'missing') return [`    + ${name}: missing (deleted from the cluster)`]
  if (object.status === 'undeclared') return [`    - ${name}: declared by nothing (created by ${object.createdBy}); \`env sync --prune\` deletes it`]
  return [`    ~ ${name}`, ...object.fields.map(fieldLine)]
}

function fieldLine(field: DriftedField): string {
  const by = field.owner ? ` (set by ${field.owner})` : ''
  switch (field.change) {
    case 'changed':
      return `        ~ ${field.field}: ${show(field.live)} -> ${show(field.desired)}${by}`
    case 'missing':
      return `        + ${field.field}: removed from the live object; desired ${show(field.desired)}`
    case 'added':
      return `        - ${field.field}: ${show(field.live)}, not declared${by}`
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined'
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

export function diffVerdict(diff: EnvironmentDiff): string {
  const counts = `${diff.compared} objects compared${diff.notDrift.length > 0 ? `, ${diff.notDrift.length} difference${diff.notDrift.length === 1 ? '' : 's'} not drift` : ''}`
  if (!diff.drifted) return `Result: NO DRIFT — ${counts}.`
  const infra = diff.infrastructure?.length ? `, ${diff.infrastructure.length} infrastructure field${diff.infrastructure.length === 1 ? '' : 's'} (env sync does not change infrastructure)` : ''
  return `Result: DRIFT — ${diff.objects.length} object${diff.objects.length === 1 ? '' : 's'} differ${infra} (${counts}); \`mygate env sync ${diff.environment}\` puts the objects right.`
}
