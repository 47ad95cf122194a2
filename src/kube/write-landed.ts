/**
 * Did our write land? Asked after a write whose first answer was lost (a dropped connection or a
 * 5xx) was retried and refused with 409: AlreadyExists for a create, Conflict for a replace whose
 * resourceVersion our own lost write had already moved on. The object is read back and the write
 * counts as landed when the stored object holds every field we sent, with the value we sent:
 *
 * - metadata the server owns (resourceVersion, uid, creationTimestamp, generation, managedFields,
 *   selfLink) and `status` are not compared; labels and annotations are compared key by key;
 * - everything else recursively, maps as subsets (the server adds defaults), lists item by item
 *   with the same length;
 * - strings that are both RFC 3339 times compare as instants ("...:00.5Z" equals "...:00.500000Z",
 *   the API server's MicroTime form).
 *
 * Someone else's object differs in what we sent (a Lease names another holder, a record another
 * state), so their 409 stands and the caller re-reads and decides: a lost race is never taken for
 * a won one. If theirs is identical to ours, the end state is the one we asked for either way.
 */

const SERVER_OWNED_METADATA = new Set(['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'])

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

function sameValue(sent: unknown, stored: unknown): boolean {
  if (typeof sent === 'string' && typeof stored === 'string') {
    if (sent === stored) return true
    return RFC3339.test(sent) && RFC3339.test(stored) && Date.parse(sent) === Date.parse(stored)
  }
  if (Array.isArray(sent)) {
    return Array.isArray(stored) && stored.length === sent.length && sent.every((item, i) => sameValue(item, stored[i]))
  }
  if (typeof sent === 'object' && sent !== null) {
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return false
    return Object.entries(sent).every(([key, value]) => value === undefined || sameValue(value, (stored as Record<string, unknown>)[key]))
  }
  return sent === stored
}

/** Pure: whether `stored` holds what `sent` asked for (see above). */
export function writeLanded(sent: {metadata?: Record<string, unknown>; [key: string]: unknown}, stored: {metadata?: Record<string, unknown>; [key: string]: unknown}): boolean {
  const {metadata: sentMeta = {}, status: _sentStatus, ...sentRest} = sent
  const {metadata: storedMeta = {}, ...storedRest} = stored
  const comparedMeta = Object.fromEntries(Object.entries(sentMeta).filter(([key]) => !SERVER_OWNED_METADATA.has(key)))
  return sameValue(comparedMeta, storedMeta) && sameValue(sentRest, storedRest)
}
