-- Single flight: a stage run whose embedding an identical run of another job is computing (same
-- cache key: kind, input bytes, model, parameters) does not run; it is 'waiting' for that run and
-- takes its output when it succeeds, or runs itself when it fails or is cancelled.
alter table stage_runs drop constraint stage_runs_status_check;
alter table stage_runs add constraint stage_runs_status_check
    check (status in ('pending', 'waiting', 'queued', 'dispatched', 'running', 'succeeded',
                      'failed', 'cancelled', 'skipped'));
-- The inversion's cache key: its embedding's content-addressed blob key. Null for fusion and
-- scoring, and for runs planned before this migration (those never share a flight).
alter table stage_runs add column cache_key text;
-- The run this one waits for while it is 'waiting'; kept afterwards to say whose output it took.
alter table stage_runs add column waiting_for uuid references stage_runs (id) on delete set null;
-- Set on a run that reruns, for the runs that waited, an identical run that failed: when it fails
-- as well, they fail with it instead of running it a third time.
alter table stage_runs add column shared_rerun boolean not null default false;
-- At most one run per cache key is in flight (from its planning, through its retries, to its end):
-- the orchestrator decides who runs under an advisory lock on the key, and this index makes a
-- second owner impossible even if that ever went wrong.
create unique index stage_runs_single_flight_uq on stage_runs (cache_key)
    where status in ('pending', 'queued', 'dispatched', 'running');
create index stage_runs_waiting_idx on stage_runs (waiting_for) where status = 'waiting';
