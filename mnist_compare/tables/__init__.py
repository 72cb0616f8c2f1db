"""Tables and sentences about the experiment grid and the original report, rendered from results.json so
that no number is typed by hand: ``grid`` (the 5/10-epoch grid), ``original`` (the original report beside
this one) and ``readme`` (the README's blocks). Each research section renders its own tables
(``mnist_compare.sections``); the verdicts and the abstract are in ``mnist_compare.findings``."""
