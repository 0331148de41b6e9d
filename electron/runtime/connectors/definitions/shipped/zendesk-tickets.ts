/**
 * A help desk's tickets, following Zendesk's public Support API shape: basic auth with
 * `{email}/token` and an API token, the cursor-based incremental export (`start_time`, then
 * `cursor` = `after_cursor` until `end_of_stream`) where deleted tickets arrive with
 * `status: deleted`, writes wrapped in `ticket`, and webhooks signed with base64 HMAC over
 * timestamp + body (`X-Zendesk-Webhook-Signature` + `-Timestamp`). Contract-tested against a local server.
 */
export const zendeskTicketsYaml = `
version: 1
name: zendesk
label: Zendesk (tickets)
description: Tickets in a Zendesk-style help desk.
baseUrl: https://{config.subdomain}.zendesk.com
auth: { type: basic, username: "{config.email}/token", passwordSecret: apiToken }
entities:
  - name: tickets
    label: Tickets
    primaryKey: id
    cursorField: updated_at
    fields:
      - { name: id, type: integer, required: true }
      - { name: subject, type: string }
      - { name: description, type: string }
      - { name: status, type: string }
      - { name: priority, type: string }
      - { name: requester_id, type: integer }
      - { name: tags, type: array }
      - { name: created_at, type: datetime }
      - { name: updated_at, type: datetime }
    read:
      request:
        path: /api/v2/incremental/tickets/cursor.json
        query: { start_time: "0", per_page: "100" }
        recordsPath: tickets
      since: { param: start_time, format: epoch-s }
      pagination: { type: cursor, param: cursor, nextPath: after_cursor, stopPath: end_of_stream, dropAfterFirst: [start_time] }
      overlapMs: 60000
      deletes: { type: field, field: status, equals: deleted }
    get:
      path: /api/v2/tickets/{key}.json
      recordsPath: ticket
    find:
      path: /api/v2/search.json
      query: { query: 'type:ticket {field}:"{value}"' }
      recordsPath: results
    write:
      encoding: json
      wrap: ticket
      responseKeyPath: ticket.id
      create: { method: POST, path: /api/v2/tickets.json }
      update: { method: PUT, path: "/api/v2/tickets/{key}.json" }
      delete: { method: DELETE, path: "/api/v2/tickets/{key}.json" }
webhook:
  signature:
    scheme: hmac
    signatureHeader: X-Zendesk-Webhook-Signature
    timestampHeader: X-Zendesk-Webhook-Signature-Timestamp
    encoding: base64
    separator: ""
    timestampFormat: iso
  deliveryId: { header: X-Zendesk-Webhook-Invocation-Id }
  routes:
    - when: { path: type, equals: [zen:event-type:ticket.created, zen:event-type:ticket.status_changed, zen:event-type:ticket.priority_changed, zen:event-type:ticket.subject_changed] }
      entity: tickets
      op: upsert
      recordPath: detail
      timePath: time
      timeFormat: iso
    - when: { path: type, equals: [zen:event-type:ticket.soft_deleted, zen:event-type:ticket.permanently_deleted] }
      entity: tickets
      op: delete
      recordPath: detail
      timePath: time
      timeFormat: iso
`;
