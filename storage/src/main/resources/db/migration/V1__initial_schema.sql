-- VCT initial schema. Enumerations are stored as lower-case text codes (see the Java enums'
-- code()) and guarded by CHECK constraints; timestamps are timestamptz; hashes are hex SHA-256.

create table tenants (
    id                  uuid        primary key,
    name                text        not null unique,
    max_concurrent_jobs integer     not null check (max_concurrent_jobs > 0),
    requests_per_minute integer     not null check (requests_per_minute > 0),
    created_at          timestamptz not null default now()
);

-- Only the SHA-256 of a key is stored; the prefix is for people to tell keys apart.
create table api_keys (
    id         uuid        primary key,
    tenant_id  uuid        not null references tenants (id),
    key_hash   text        not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
    prefix     text        not null,
    admin      boolean     not null default false,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);
create index api_keys_tenant_idx on api_keys (tenant_id);

create table jobs (
    id               uuid        primary key,
    tenant_id        uuid        not null references tenants (id),
    status           text        not null
        check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    parameters       jsonb       not null,
    seed             bigint      not null,
    model_id         text        not null,
    idempotency_key  text,
    request_hash     text,
    source_key       text        not null,
    source_sha256    text        not null check (source_sha256 ~ '^[0-9a-f]{64}$'),
    reference_key    text        not null,
    reference_sha256 text        not null check (reference_sha256 ~ '^[0-9a-f]{64}$'),
    result_key       text,
    scores           jsonb,
    error_code       text,
    error_message    text,
    cancel_requested boolean     not null default false,
    created_at       timestamptz not null default now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    version          bigint      not null default 0,
    constraint jobs_idempotency_key_uq unique (tenant_id, idempotency_key),
    constraint jobs_request_hash_with_key check ((idempotency_key is null) = (request_hash is null))
);
-- Tenant listing, newest first, keyset pagination on (created_at, id).
create index jobs_tenant_created_idx on jobs (tenant_id, created_at desc, id desc);
create index jobs_tenant_status_idx on jobs (tenant_id, status);

create table stage_runs (
    id                uuid        primary key,
    job_id            uuid        not null references jobs (id) on delete cascade,
    stage             text        not null
        check (stage in ('content_inversion', 'concept_inversion', 'fusion', 'scoring')),
    attempt           integer     not null default 0 check (attempt >= 0),
    status            text        not null
        check (status in ('pending', 'dispatched', 'running', 'succeeded', 'failed',
                          'cancelled', 'skipped')),
    lease_expires_at  timestamptz,
    last_heartbeat_at timestamptz,
    progress_step     integer,
    progress_total    integer,
    progress_loss     double precision,
    checkpoint_key    text,
    checkpoint_step   integer,
    output_key        text,
    error_code        text,
    error_message     text,
    error_retryable   boolean,
    retry_count       integer     not null default 0 check (retry_count >= 0),
    next_attempt_at   timestamptz,
    created_at        timestamptz not null default now(),
    dispatched_at     timestamptz,
    started_at        timestamptz,
    finished_at       timestamptz,
    version           bigint      not null default 0,
    constraint stage_runs_job_stage_uq unique (job_id, stage)
);
-- Lease scan: in-flight runs whose lease ran out.
create index stage_runs_lease_idx on stage_runs (status, lease_expires_at)
    where lease_expires_at is not null;
-- Retry scan: runs waiting for their back-off to pass.
create index stage_runs_next_attempt_idx on stage_runs (next_attempt_at)
    where next_attempt_at is not null;

create table embeddings (
    id           uuid        primary key,
    kind         text        not null check (kind in ('content', 'concept')),
    input_sha256 text        not null check (input_sha256 ~ '^[0-9a-f]{64}$'),
    model_id     text        not null,
    param_hash   text        not null,
    blob_key     text        not null,
    shape        bigint[]    not null,
    created_at   timestamptz not null default now(),
    constraint embeddings_lookup_uq unique (kind, input_sha256, model_id, param_hash)
);

-- Idempotent consumers: a consumer records each event id it handled in the same
-- transaction as the state change, so a redelivered event changes nothing.
create table processed_events (
    consumer     text        not null,
    event_id     uuid        not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, event_id)
);
