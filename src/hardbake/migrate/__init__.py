"""Migration to hardened images: inventory, reference mapping, Dockerfile conversion, plan.

- `scan.scan(PATH, mapper)` -> `Inventory`: every image reference in Dockerfiles, Compose
  files and Kubernetes manifests, its hardened equivalent and the match confidence, plus the
  findings (blockers, warnings, changes) of converting each file.
- `apply.rewrite(inventory)` -> the new text of each file and a unified diff; `apply.write`
  writes them atomically.
- `plan.render(inventory, compare)` -> the four-phase migration plan in Markdown.
"""
