//! Filters over flow runs, task runs, flows and deployments (see the module docs in src/schemas/filters).
