-- Events as the reference's event persister keeps them: one row per event
-- (deduplicated by id) and one row per resource it involves (the primary
-- resource with role '' and each related resource), which the resource,
-- related and any_resource filters search. Times are stored fixed-width
-- (YYYY-MM-DDTHH:MM:SS.ffffffZ) so text order is time order.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    occurred TEXT NOT NULL,
    event TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    related TEXT NOT NULL,
    payload TEXT NOT NULL,
    received TEXT NOT NULL,
    recorded TEXT NOT NULL,
    follows TEXT,
    -- The ReceivedEvent as answered, in the reference's field order.
    doc TEXT NOT NULL
);
CREATE INDEX ix_events_occurred ON events (occurred);
CREATE INDEX ix_events_event_occurred ON events (event, occurred);
CREATE INDEX ix_events_resource_id_occurred ON events (resource_id, occurred);

CREATE TABLE event_resources (
    event_id TEXT NOT NULL,
    occurred TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    resource_role TEXT NOT NULL,
    -- The resource's labels without prefect.resource.id and .role.
    resource TEXT NOT NULL
);
CREATE INDEX ix_event_resources_resource_id_occurred ON event_resources (resource_id, occurred);
CREATE INDEX ix_event_resources_occurred ON event_resources (occurred);
CREATE INDEX ix_event_resources_event_id ON event_resources (event_id);
