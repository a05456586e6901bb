-- Workers check every stage request against its job and stage run before they start it and while
-- it runs (the worker's AttemptCheck), so that the work of a job that ended, or of an attempt the
-- orchestrator superseded, never runs. In Kubernetes they log in as their own role (vct_worker, made
-- by CloudNativePG; see deploy/k8s/base/postgres.yaml), which may read exactly these columns and
-- nothing else. Granted to public rather than to that role, which may not exist yet when this runs
-- (the operator makes it); the columns say only whether a job or stage run goes on, and the
-- database serves no other application.
grant select (id, status) on jobs to public;
grant select (id, job_id, status, attempt) on stage_runs to public;
