-- The orchestrator decides the order in which stage requests reach the workers: a stage run that
-- is ready waits as 'queued' until its pool has a free slot (about one per live worker), and the
-- dispatcher picks the next one by fair share across tenants, then the job's priority, then age.
alter table stage_runs drop constraint stage_runs_status_check;
alter table stage_runs add constraint stage_runs_status_check
    check (status in ('pending', 'queued', 'dispatched', 'running', 'succeeded', 'failed',
                      'cancelled', 'skipped'));
-- When the run joined the queue (its current attempt's); null once dispatched.
alter table stage_runs add column queued_at timestamptz;
create index stage_runs_queued_idx on stage_runs (stage) where status = 'queued';
create index stage_runs_in_flight_idx on stage_runs (stage)
    where status in ('dispatched', 'running');

-- Reorders only the tenant's own jobs; higher goes first. Also among the job's knobs (parameters).
alter table jobs add column priority integer not null default 0
    check (priority between -10 and 10);

-- One row per stage: the pool of workers that serves it (the stages one consumer group reads, as
-- the dispatcher last saw it), that pool's slots, and the tenant served last (the round robin's
-- turn, the same on every row of a pool). Dispatchers lock a pool's rows, in stage order, for a
-- round, so two orchestrator replicas never fill the same slots.
create table stage_dispatch (
    stage          text        primary key
        check (stage in ('content_inversion', 'concept_inversion', 'fusion', 'scoring')),
    pool           text        not null,
    slots          integer     not null check (slots > 0),
    last_tenant_id uuid,
    updated_at     timestamptz not null default now()
);
insert into stage_dispatch (stage, pool, slots) values
    ('content_inversion', 'content_inversion', 1),
    ('concept_inversion', 'concept_inversion', 1),
    ('fusion', 'fusion', 1),
    ('scoring', 'scoring', 1);
