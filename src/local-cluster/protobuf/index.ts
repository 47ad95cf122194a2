import {messageJson} from './decode-message.js'
import {PACKAGES, ROOT_MESSAGES} from './descriptors/index.js'
import {buildRegistry, type Registry} from './schema.js'
import {ProtobufWireError, WireReader, WireType} from './wire.js'

/**
 * Kubernetes' protobuf encoding of API objects (apimachinery runtime/serializer/protobuf): the
 * four bytes `k8s\0`, then a runtime.Unknown envelope {typeMeta = 1 {apiVersion = 1, kind = 2},
 * raw = 2 (the object's own message), contentEncoding = 3, contentType = 4}.
 */

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf'

/** `k8s\0`, the protobuf serializer's prefix. */
export const PROTOBUF_PREFIX = Uint8Array.from([0x6b, 0x38, 0x73, 0x00])

export interface KindRef {
  apiVersion: string
  kind: string
}

/**
 * A protobuf body that cannot be decoded. `kind` is set once the envelope was read (the real
 * server words the two cases differently); the message is the real decoder's.
 */
export class ProtobufDecodeError extends Error {
  constructor(
    message: string,
    readonly kind?: KindRef,
  ) {
    super(message)
    this.name = 'ProtobufDecodeError'
  }
}

let registry: Registry | undefined

/** The descriptor tables, parsed and checked on first use (most servers never see protobuf). */
export function protobufRegistry(): Registry {
  registry ??= buildRegistry(PACKAGES)
  return registry
}

/** Whether objects of this kind can arrive as protobuf (built-in kinds kubectl sends that way). */
export function decodesProtobuf(kind: KindRef): boolean {
  return `${kind.apiVersion} ${kind.kind}` in ROOT_MESSAGES
}

interface Envelope extends KindRef {
  raw: Uint8Array
}

function readTypeMeta(bytes: Uint8Array): KindRef {
  const reader = new WireReader(bytes)
  const meta: KindRef = {apiVersion: '', kind: ''}
  while (!reader.done()) {
    const {field, wireType} = reader.tag('TypeMeta')
    if (field === 1 || field === 2) {
      if (wireType !== WireType.bytes) throw new ProtobufWireError(`proto: wrong wireType = ${wireType} for field ${field === 1 ? 'APIVersion' : 'Kind'}`)
      const text = new TextDecoder().decode(reader.lengthDelimited())
      if (field === 1) meta.apiVersion = text
      else meta.kind = text
    } else {
      reader.skip(wireType)
    }
  }
  return meta
}

/** The prefix and runtime.Unknown envelope, checked as the real serializer's Decode does. */
function readEnvelope(body: Uint8Array): Envelope {
  if (body.length === 0) throw new ProtobufDecodeError('empty data')
  const prefixed = body.length >= PROTOBUF_PREFIX.length && PROTOBUF_PREFIX.every((byte, i) => body[i] === byte)
  if (!prefixed) throw new ProtobufDecodeError(`provided data does not appear to be a protobuf message, expected prefix [${PROTOBUF_PREFIX.join(' ')}]`)
  if (body.length === PROTOBUF_PREFIX.length) throw new ProtobufDecodeError('empty body')
  const reader = new WireReader(body, PROTOBUF_PREFIX.length)
  const envelope: Envelope = {apiVersion: '', kind: '', raw: new Uint8Array()}
  try {
    while (!reader.done()) {
      const {field, wireType} = reader.tag('Unknown')
      if (field >= 1 && field <= 4 && wireType !== WireType.bytes) {
        throw new ProtobufWireError(`proto: wrong wireType = ${wireType} for field ${['', 'TypeMeta', 'Raw', 'ContentEncoding', 'ContentType'][field]}`)
      }
      if (field === 1) Object.assign(envelope, readTypeMeta(reader.lengthDelimited()))
      else if (field === 2) envelope.raw = reader.lengthDelimited()
      // contentEncoding and contentType are read past, as the real serializer does.
      else reader.skip(wireType)
    }
  } catch (error) {
    if (error instanceof ProtobufWireError) throw new ProtobufDecodeError(error.message)
    throw error
  }
  return envelope
}

/**
 * Decodes a protobuf request body into the JSON object the real API server would store.
 * `expected` is the kind the URL names: an envelope without apiVersion or kind takes it from
 * there, as the real decoder does. A kind the envelope names that no table describes, or bytes
 * that are not valid for the kind, is a ProtobufDecodeError.
 */
export function decodeProtobufObject(body: Uint8Array, expected: KindRef): Record<string, unknown> {
  const envelope = readEnvelope(body)
  const kind: KindRef = {apiVersion: envelope.apiVersion || expected.apiVersion, kind: envelope.kind || expected.kind}
  const root = ROOT_MESSAGES[`${kind.apiVersion} ${kind.kind}`]
  if (!root) throw new ProtobufDecodeError(`no kind "${kind.kind}" is registered for version "${kind.apiVersion}"`, kind)
  const types = protobufRegistry()
  try {
    return {kind: kind.kind, apiVersion: kind.apiVersion, ...messageJson(types, types.get(root)!, envelope.raw)}
  } catch (error) {
    if (error instanceof ProtobufWireError) throw new ProtobufDecodeError(error.message, kind)
    throw error
  }
}
