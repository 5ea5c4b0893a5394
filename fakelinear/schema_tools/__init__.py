"""Schema tooling for the fake (developer tools; not imported by the fake at run time).

* :mod:`.dts` reads Linear's schema back out of an installed ``@linear/sdk``'s TypeScript
  declarations, :mod:`.sdl` writes it as canonical SDL, :mod:`.reference` adds what only an
  official SDL knows (defaults, a few real type names), :mod:`.generate` ties them together;
* :mod:`.compare` diffs two schemas semantically, mismatch by mismatch;
* :mod:`.documents` extracts the GraphQL documents the SDK bundle sends;
* :mod:`.pull` writes the SDL of a live endpoint by introspection;
* :mod:`.npm` installs pinned npm packages into a cache, once, under a file lock;
* :mod:`.cli` is ``fakelinear schema generate|pull|diff|documents|reference``.

What the declarations cannot carry, and how each gap is handled, is in
``docs/schema-tools.md``.
"""
