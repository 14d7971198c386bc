"""Hardening policy for how containers are run.

One normalised container model (`model`) filled by four sources (`sources/`: Kubernetes,
Compose, Dockerfile, docker run), built-in rules with stable ids (`rules/`), configuration and
profiles (`config`), custom Rego v1 policies (`rego`), the evaluator (`engine`), the public
checking API (`check`), reports (`findings`, `sarif`), the admission webhook (`admission`,
`webhook`, `webhook_config`) and the cluster adoption audit (`audit`).
"""
