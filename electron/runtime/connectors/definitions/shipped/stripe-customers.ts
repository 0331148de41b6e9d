/**
 * A billing system's customers, following Stripe's public API shape: bearer secret key,
 * form-encoded writes with Idempotency-Key, `data` + `has_more` pages continued with
 * `starting_after`, search by query, and Stripe-Signature (`t=…,v1=…`) webhooks carrying events
 * (`customer.created|updated|deleted`, record under `data.object`). Customers have no
 * updated-at, so polling finds changes by content and deletes by reconciliation.
 * Contract-tested against a local server.
 */
export const stripeCustomersYaml = `
version: 1
name: stripe
label: Stripe (customers)
description: Customers in a Stripe-style billing system.
baseUrl: https://api.stripe.com
auth: { type: bearer, tokenSecret: token }
entities:
  - name: customers
    label: Customers
    primaryKey: id
    fields:
      - { name: id, type: string, required: true }
      - { name: email, type: string }
      - { name: name, type: string }
      - { name: phone, type: string }
      - { name: description, type: string }
      - { name: metadata, type: json }
      - { name: created, type: integer, nativeType: unix-seconds }
    read:
      request:
        path: /v1/customers
        query: { limit: "100" }
        recordsPath: data
      pagination: { type: last-id, param: starting_after, idField: id, hasMorePath: has_more }
      deletes: { type: reconcile }
    get:
      path: /v1/customers/{key}
    find:
      path: /v1/customers/search
      query: { query: "{field}:'{value}'", limit: "100" }
      recordsPath: data
    write:
      encoding: form
      responseKeyPath: id
      idempotencyHeader: Idempotency-Key
      create: { method: POST, path: /v1/customers }
      update: { method: POST, path: "/v1/customers/{key}" }
      delete: { method: DELETE, path: "/v1/customers/{key}" }
webhook:
  signature: { scheme: stripe }
  deliveryId: { path: id }
  routes:
    - when: { path: type, equals: [customer.created, customer.updated] }
      entity: customers
      op: upsert
      recordPath: data.object
      timePath: created
      timeFormat: epoch-s
    - when: { path: type, equals: customer.deleted }
      entity: customers
      op: delete
      recordPath: data.object
      timePath: created
      timeFormat: epoch-s
`;
