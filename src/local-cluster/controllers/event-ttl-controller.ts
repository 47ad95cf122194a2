import {applyActions} from './actions.js'
import {expiredEvents} from './events.js'
import {EVENTS, NAMESPACES} from './resources.js'
import type {ControllerContext, ControllerDefinition} from './runtime.js'

const SWEEP_EVERY_MS = 60_000
const KEY = 'event-ttl'

/** Deletes Events past their time to live, once a minute (a long-running daemon would pile them up). */
export function eventTtlController(context: ControllerContext): ControllerDefinition {
  const {store} = context
  return {
    name: 'event-ttl',
    // The namespace list is small and always there: its initial listing starts the sweep loop.
    watches: [{ref: NAMESPACES, keys: (event) => (event.type === 'ADDED' ? [KEY] : [])}],
    reconcile() {
      if (store.typeFor(EVENTS)) {
        const expired = expiredEvents(store.list(EVENTS).items, context.clock())
        applyActions(
          store,
          expired.map((event) => ({type: 'delete' as const, ref: EVENTS, namespace: event.metadata.namespace, name: event.metadata.name as string, uid: event.metadata.uid})),
        )
      }
      return {requeueAfterMs: SWEEP_EVERY_MS}
    },
  }
}
