-- Gateway-owned tables: per-tenant webhook signing secrets, per-job webhook subscriptions,
-- durable webhook deliveries, and per-tenant request counters for rate limiting.

-- The Standard Webhooks signing secret of a tenant ("whsec_" + base64 of 32 random bytes).
create table tenant_webhook_secrets (
    tenant_id  uuid        primary key references tenants (id) on delete cascade,
    secret     text        not null check (secret like 'whsec\_%'),
    created_at timestamptz not null default now()
);

-- Where a job's events go, and which event types.
create table job_webhooks (
    job_id      uuid        primary key references jobs (id) on delete cascade,
    url         text        not null,
    event_types text[]      not null check (cardinality(event_types) > 0),
    created_at  timestamptz not null default now()
);

-- One delivery per (job event, webhook). The id is the webhook-id header, the same on every
-- attempt, and the payload is kept byte for byte so that every attempt signs the same body.
create table webhook_deliveries (
    id               uuid        primary key,
    job_id           uuid        not null references jobs (id) on delete cascade,
    tenant_id        uuid        not null references tenants (id),
    event_id         uuid        not null,
    event_type       text        not null,
    url              text        not null,
    payload          text        not null,
    status           text        not null check (status in ('pending', 'delivered', 'failed')),
    attempts         integer     not null default 0 check (attempts >= 0),
    next_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    created_at       timestamptz not null default now(),
    finished_at      timestamptz,
    constraint webhook_deliveries_event_uq unique (event_id)
);
-- Due scan of the delivery loop.
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at)
    where status = 'pending';
create index webhook_deliveries_job_idx on webhook_deliveries (job_id);

-- Fixed one-minute windows of requests per tenant, shared by every gateway replica.
create table tenant_request_windows (
    tenant_id    uuid        not null references tenants (id) on delete cascade,
    window_start timestamptz not null,
    requests     integer     not null check (requests >= 0),
    primary key (tenant_id, window_start)
);
