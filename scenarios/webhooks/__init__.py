"""Webhook scenarios: a reference consumer kept in sync with the fake under every F8 fault.

Each ``scenarios/webhooks/*.toml`` names a seed, a workload (issues created, updated and
deleted, some in the same instant), the fault plan (profile plus ``webhooks`` knobs), the
consumer's settings and what to expect. The runner drives the workload through the fake's
GraphQL API, lets the :class:`~scenarios.webhooks.consumer.ReferenceConsumer` receive every
delivery in-process, waits out Linear's whole retry schedule on the virtual clock, and the
checker compares the consumer's view with the fake's final state (invariant **W1**).

    python -m scenarios.webhooks [FILES…] [--seed S] [--json]

See ``scenarios/webhooks/README.md`` for the file format.
"""
