-- Test-only bridge: the orchestrator's job event log (storage V10, the jobs issue), created here
-- only when that migration is not on this branch yet; a no-op once it is.
create table if not exists job_events (
    id         bigserial   primary key,
    job_id     uuid        not null references jobs (id) on delete cascade,
    seq        bigint      not null check (seq > 0),
    event_id   uuid        not null unique,
    type       text        not null,
    payload    jsonb       not null,
    created_at timestamptz not null default now(),
    constraint job_events_job_seq_uq unique (job_id, seq)
);
