"""konsel_analysis: targeting social assistance in Kabupaten Konawe Selatan.

The package reads as the pipeline of the work:

- ``paths``       every folder the toolkit reads or writes, derived from the project root;
- ``dictionary``  the one data dictionary: every column, its type, unit, range and labels;
- ``parameters``  policy numbers (poverty lines, benefits, budgets) read from parameters.yml;
- ``geography``   the 25 kecamatan and 351 villages of Konsel (Kemendagri codes);
- ``synth``       the calibrated synthetic register, survey and truth (the default data);
- ``build``       the main job's steps and the one cache mechanism behind ``make reports``
                  (a task, its key, its manifest); outputs written atomically (``files``);
- ``cli``         the ``konsel`` command.
"""

__version__ = "0.1.0"
