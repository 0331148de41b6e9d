/**
 * A shop's inventory levels, following Shopify's public Admin REST API shape: the
 * `X-Shopify-Access-Token` header, `updated_at_min` filtering, RFC 8288 Link-header pages
 * (`page_info`), one level per (inventory_item_id, location_id), and `inventory_levels/set.json`
 * as the idempotent write. Contract-tested against a local server.
 */
export const shopifyInventoryYaml = `
version: 1
name: shopify
label: Shopify (inventory levels)
description: Inventory levels per item and location in a Shopify-style shop.
baseUrl: https://{config.shop}.myshopify.com/admin/api/2024-10
auth: { type: api-key, in: header, name: X-Shopify-Access-Token, secret: accessToken }
entities:
  - name: inventory_levels
    label: Inventory levels
    primaryKey: [inventory_item_id, location_id]
    keyField: id
    cursorField: updated_at
    fields:
      - { name: inventory_item_id, type: integer, required: true }
      - { name: location_id, type: integer, required: true }
      - { name: available, type: integer }
      - { name: updated_at, type: datetime }
    read:
      request:
        path: /inventory_levels.json
        query: { location_ids: "{config.locationIds}", limit: "250" }
        recordsPath: inventory_levels
      since: { param: updated_at_min, format: iso }
      pagination: { type: link-header }
      overlapMs: 60000
    write:
      encoding: json
      responseKeyPath: inventory_level.inventory_item_id
      upsert: { method: POST, path: /inventory_levels/set.json }
      delete:
        method: DELETE
        path: /inventory_levels.json
        query: { inventory_item_id: "{inventory_item_id}", location_id: "{location_id}" }
`;
