"""Plain-Python reference models of the DSP units and sources, written from
their documented behaviour, for the tests to compare the engine against."""
