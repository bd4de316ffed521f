/*
Package vorbis implements a vorbis decoder.

Note that this package only decodes raw vorbis packets, these packets are
usually stored in a container format like ogg.

The vorbis specification is available at:
https://xiph.org/vorbis/doc/Vorbis_I_spec.html

This is musicrep's copy of github.com/jfreymuth/vorbis v1.0.2 (MIT licence, see LICENSE), made faster with
bit-identical output: see README.md.
*/
package vorbis
