"""How a verdict is reached and recorded: checks that name case, step and field (``checks``), the
trace of every frame (``trace``), the catalogue that ships with the harness (``catalogue``) and the
trace read as catalogue steps (``messages``). Imports only ``simulator.settings`` and the standard
library; everything else in the harness may import it."""
