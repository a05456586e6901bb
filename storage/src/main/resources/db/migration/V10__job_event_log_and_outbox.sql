-- Owned by the orchestrator (the jobs issue). The gateway reads job_events; nothing else
-- writes them.

-- The per-job event log: written in the transaction of the change it describes, numbered
-- 1, 2, ... per job, so an SSE client resumes after the last sequence number it saw.
create table job_events (
    id         bigserial   primary key,
    job_id     uuid        not null references jobs (id) on delete cascade,
    seq        bigint      not null check (seq > 0),
    event_id   uuid        not null unique,
    type       text        not null,
    payload    jsonb       not null,
    created_at timestamptz not null default now(),
    constraint job_events_job_seq_uq unique (job_id, seq)
);

-- Kafka records committed with the state change they announce; a relay sends them after the
-- commit and deletes them once the broker acknowledged them.
create table outbox (
    id         bigserial   primary key,
    topic      text        not null,
    record_key text        not null,
    payload    text        not null,
    created_at timestamptz not null default now()
);

-- Why a stage did not run (for example: a cached embedding was reused).
alter table stage_runs add column skip_reason text;

-- Sweeper scans: queued jobs that were never planned, and cancel requests not yet applied.
create index jobs_queued_idx on jobs (created_at) where status = 'queued';
create index jobs_cancel_requested_idx on jobs (id)
    where cancel_requested and status in ('queued', 'running');
