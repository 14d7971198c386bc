"""A kit the tests share: local signed apt repositories, a real registry, a real engine.

Only tests and benchmarks import this package.
"""
