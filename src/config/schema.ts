/**
 * The JSON Schema of the config file (init/tunadm.schema.json), built from the settings registry: each
 * device key's fragment is its registry entry's, and `defaults:` refers to the shared ones. A unit test
 * holds the published file to this (UPDATE_SCHEMA=1 rewrites it).
 */
import {SETTINGS} from '../model/settings'
import {ID_PATTERN, LINK_GROUP_MAX} from '../model/identity'
import {ROUTE_KEYS, TOP_LEVEL_KEYS} from './keys'

export function configSchema(): Record<string, unknown> {
  // Shared keys' values are definitions (defaults: and device entries refer to them), the others inline.
  const device: Record<string, unknown> = {}
  const defaults: Record<string, unknown> = {}
  const defs: Record<string, unknown> = {}
  for (const s of SETTINGS) {
    const direct = !s.shared || Object.keys(s.schema).join() === '$ref'
    if (!direct) defs[s.key] = s.schema
    device[s.key] = direct ? s.schema : {$ref: `#/$defs/${s.key}`}
    if (s.shared) defaults[s.key] = device[s.key]
  }
  const top: Record<(typeof TOP_LEVEL_KEYS)[number], unknown> = {
    version: {const: 1, description: 'Format version; must be 1.'},
    id: {type: 'string', pattern: ID_PATTERN.source, description: 'The config\'s identity: its devices carry the marker tunadm:ID in their alias, and --prune and down remove only those. Default: the file\'s real path; a config read from a pipe has none unless given (here or with --id), and then cannot --prune, --adopt or down.'},
    link_group: {type: 'integer', minimum: 1, maximum: LINK_GROUP_MAX, description: 'Link group (IFLA_GROUP) of this file\'s devices (ip link show group N). Default: a number derived from the config\'s identity, 65536 or more, moved on when another config\'s devices are in it; an explicit link_group wins.'},
    defaults: {
      description: 'Settings merged into every device entry; an entry\'s own value wins. Ownership (user, group, any_user) is inherited as a whole, only by entries that set none of the three.',
      type: 'object', additionalProperties: false, properties: defaults,
    },
    devices: {
      description: 'The devices, one entry each (devices: [] for none). Every device needs an owner: user, group (or both), or any_user: true to say that any user may attach; a device attachable by everyone is never made by omission.',
      type: ['array', 'null'], items: {$ref: '#/$defs/device'},
    },
  }
  const route: Record<(typeof ROUTE_KEYS)[number], unknown> = {
    to: {$ref: '#/$defs/prefix', description: 'Destination network, e.g. 10.1.0.0/16; 0.0.0.0/0 or ::/0 for a default route.'},
    via: {title: 'ADDRESS', type: 'string', pattern: '^[0-9A-Fa-f:.]+$', description: 'Gateway of the same family, on the device.'},
    metric: {type: 'integer', minimum: 0, maximum: 4294967295, description: 'Route metric (priority; lower wins). Default: the kernel\'s, 0 for IPv4 and 1024 for IPv6.'},
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'tunadm config',
    description: 'Declarative TUN/TAP devices for tunadm apply and tunadm init (default /etc/tunadm/tunadm.yaml). tunadm checks more than this schema can say (ownership after defaults, duplicate names after ranges, gateways on the device); run tunadm apply --dry-run for the full check.',
    type: 'object',
    additionalProperties: false,
    required: ['version', 'devices'],
    properties: top,
    $defs: {
      device: {type: 'object', additionalProperties: false, required: ['name'], properties: device},
      route: {type: 'object', additionalProperties: false, required: ['to'], properties: route},
      prefix: {title: 'ADDRESS/LENGTH', type: 'string', pattern: '^[0-9A-Fa-f:.]+/[0-9]{1,3}$'},
      account: {
        title: 'a name, or a number',
        description: 'A name, or a numeric id from 0 to 4294967294. Names are looked up when the config is applied.',
        oneOf: [
          {type: 'integer', minimum: 0, maximum: 4294967294},
          {type: 'string', pattern: '^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\\$?$', maxLength: 256},
        ],
      },
      ...defs,
    },
  }
}

/** The schema as the published file writes it: objects of scalars on one line, others indented. */
export function formatSchema(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value)
  const simple = (v: unknown) => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => typeof x !== 'object'))
  if (simple(value)) return Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(', ')}]` : flat
  const inner = indent + '  '
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + formatSchema(v, inner)).join(',\n')}\n${indent}]`
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.every(([, v]) => simple(v)) && flat.length <= 260) return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${formatSchema(v)}`).join(', ')}}`
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatSchema(v, inner)}`).join(',\n')}\n${indent}}`
}
