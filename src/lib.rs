//! gen-agents: declarative AI-agent specs in; complete Helm values, a runtime-config
//! ConfigMap per agent and Secret stubs out.
//!
//! The library is the pipeline, one module per stage:
//! [`load`] → [`validate`] → [`resolve`] (layered defaults) → [`runtime`] (per-runtime
//! config) → [`render`] (templates, parse-back verification) → [`write`] (atomic output,
//! `--check`). [`diag`] carries every problem, located, between stages.

pub mod diag;
pub mod load;
pub mod spec;
pub mod validate;
