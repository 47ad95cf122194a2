import type {SchemaDefinition} from './definitions.js'

/**
 * Encodes an OpenAPI v2 document as the gnostic `openapi.v2.Document` protobuf message:
 * kubectl before 1.29 fetches /openapi/v2 only as protobuf (for `apply` and its validation
 * check). Field numbers follow google/gnostic's openapiv2/OpenAPIv2.proto; only the fields a
 * Kubernetes document uses are written. Vendor extensions carry their value as YAML text
 * (JSON is YAML), as gnostic does.
 */

type Json = Record<string, unknown>

function varint(value: number): Buffer {
  const bytes: number[] = []
  let v = value
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  bytes.push(v)
  return Buffer.from(bytes)
}

class Message {
  private readonly parts: Buffer[] = []

  string(field: number, value: string | undefined): this {
    if (value === undefined || value === '') return this
    return this.bytes(field, Buffer.from(value, 'utf8'))
  }

  strings(field: number, values: readonly string[] | undefined): this {
    for (const value of values ?? []) this.bytes(field, Buffer.from(value, 'utf8'))
    return this
  }

  bool(field: number, value: boolean | undefined): this {
    if (value) this.parts.push(varint(field << 3), varint(1))
    return this
  }

  message(field: number, value: Message | undefined): this {
    return value ? this.bytes(field, value.finish()) : this
  }

  private bytes(field: number, value: Buffer): this {
    this.parts.push(varint((field << 3) | 2), varint(value.length), value)
    return this
  }

  finish(): Buffer {
    return Buffer.concat(this.parts)
  }
}

function anyYaml(value: unknown): Message {
  return new Message().string(2, JSON.stringify(value))
}

function vendorExtensions(message: Message, field: number, object: Json): void {
  for (const [key, value] of Object.entries(object)) {
    if (key.startsWith('x-')) message.message(field, new Message().string(1, key).message(2, anyYaml(value)))
  }
}

function schemaMessage(schema: SchemaDefinition): Message {
  const m = new Message()
  m.string(1, schema.$ref)
  m.string(2, schema.format)
  m.string(4, schema.description)
  m.strings(19, schema.required)
  for (const value of schema.enum ?? []) m.message(20, anyYaml(value))
  if (typeof schema.additionalProperties === 'boolean') m.message(21, new Message().bool(2, schema.additionalProperties))
  else if (schema.additionalProperties) m.message(21, new Message().message(1, schemaMessage(schema.additionalProperties)))
  if (schema.type) m.message(22, new Message().strings(1, [schema.type]))
  if (schema.items) m.message(23, new Message().message(1, schemaMessage(schema.items)))
  for (const part of (schema.allOf as SchemaDefinition[] | undefined) ?? []) m.message(24, schemaMessage(part))
  if (schema.properties) {
    const properties = new Message()
    for (const [name, value] of Object.entries(schema.properties)) properties.message(1, new Message().string(1, name).message(2, schemaMessage(value)))
    m.message(25, properties)
  }
  vendorExtensions(m, 31, schema)
  return m
}

function parameterMessage(parameter: Json): Message {
  if (parameter.in === 'body') {
    const body = new Message()
      .string(1, parameter.description as string)
      .string(2, parameter.name as string)
      .string(3, 'body')
      .bool(4, parameter.required as boolean)
      .message(5, schemaMessage((parameter.schema ?? {}) as SchemaDefinition))
    return new Message().message(1, new Message().message(1, body))
  }
  const query = new Message()
    .bool(1, parameter.required as boolean)
    .string(2, parameter.in as string)
    .string(3, parameter.description as string)
    .string(4, parameter.name as string)
    .string(6, (parameter.type as string) ?? 'string')
    .bool(20, parameter.uniqueItems as boolean)
  // ParametersItem.parameter -> Parameter.non_body_parameter -> NonBodyParameter.query_parameter_sub_schema
  return new Message().message(1, new Message().message(2, new Message().message(3, query)))
}

function operationMessage(operation: Json): Message {
  const m = new Message().string(5, operation.operationId as string).strings(7, operation.consumes as string[] | undefined)
  for (const parameter of (operation.parameters as Json[] | undefined) ?? []) m.message(8, parameterMessage(parameter))
  const responses = new Message()
  for (const [code, response] of Object.entries((operation.responses ?? {}) as Record<string, Json>)) {
    const body = new Message().string(1, response.description as string)
    if (response.schema) body.message(2, new Message().message(1, schemaMessage(response.schema as SchemaDefinition)))
    responses.message(1, new Message().string(1, code).message(2, new Message().message(1, body)))
  }
  m.message(9, responses)
  vendorExtensions(m, 13, operation)
  return m
}

const METHOD_FIELDS: Record<string, number> = {get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8}

export function encodeOpenApiV2(document: Json): Buffer {
  const doc = new Message().string(1, document.swagger as string)
  const info = (document.info ?? {}) as Json
  doc.message(2, new Message().string(1, info.title as string).string(2, info.version as string))
  const paths = new Message()
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    const pathItem = new Message()
    for (const [method, operation] of Object.entries(item)) {
      const field = METHOD_FIELDS[method]
      if (field) pathItem.message(field, operationMessage(operation as Json))
    }
    paths.message(2, new Message().string(1, path).message(2, pathItem))
  }
  doc.message(8, paths)
  const definitions = new Message()
  for (const [name, schema] of Object.entries((document.definitions ?? {}) as Record<string, SchemaDefinition>)) {
    definitions.message(1, new Message().string(1, name).message(2, schemaMessage(schema)))
  }
  doc.message(9, definitions)
  return doc.finish()
}
