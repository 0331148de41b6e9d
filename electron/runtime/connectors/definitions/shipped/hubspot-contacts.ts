/**
 * A CRM's contacts, following HubSpot's public CRM v3 API shape: bearer private-app token,
 * `results` + `paging.next.after` cursor pages, properties nested under `properties`, archived
 * records on `?archived=true`, search by property. Contract-tested against a local server.
 */
export const hubspotContactsYaml = `
version: 1
name: hubspot
label: HubSpot (contacts)
description: Contacts in a HubSpot-style CRM (CRM v3 objects API).
baseUrl: https://api.hubapi.com
auth: { type: bearer, tokenSecret: token }
entities:
  - name: contacts
    label: Contacts
    primaryKey: id
    fieldsPath: properties
    cursorField: updatedAt
    fields:
      - { name: id, type: string, required: true }
      - { name: email, type: string }
      - { name: firstname, type: string }
      - { name: lastname, type: string }
      - { name: phone, type: string }
      - { name: company, type: string }
      - { name: updatedAt, type: datetime }
    read:
      request:
        path: /crm/v3/objects/contacts
        query: { limit: "100", properties: "email,firstname,lastname,phone,company" }
        recordsPath: results
      pagination: { type: cursor, param: after, nextPath: paging.next.after }
      overlapMs: 60000
      deletes:
        type: endpoint
        request:
          path: /crm/v3/objects/contacts
          query: { limit: "100", archived: "true" }
          recordsPath: results
        pagination: { type: cursor, param: after, nextPath: paging.next.after }
        timeField: archivedAt
    get:
      path: /crm/v3/objects/contacts/{key}
      query: { properties: "email,firstname,lastname,phone,company" }
    find:
      method: POST
      path: /crm/v3/objects/contacts/search
      body:
        filterGroups: [{ filters: [{ propertyName: "{field}", operator: EQ, value: "{value}" }] }]
        properties: [email, firstname, lastname, phone, company]
        limit: 100
      recordsPath: results
    write:
      encoding: json
      wrap: properties
      responseKeyPath: id
      create: { method: POST, path: /crm/v3/objects/contacts }
      update: { method: PATCH, path: "/crm/v3/objects/contacts/{key}" }
      delete: { method: DELETE, path: "/crm/v3/objects/contacts/{key}" }
`;
