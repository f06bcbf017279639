#!/bin/sh
# mmdebstrap customize hook ($1: the new root). dpkg.cfg's excludes apply to what dpkg installs from now on;
# the essential packages were unpacked before it took effect, so their excluded files are removed here, as
# debuerreotype-slimify does for the official slim image.
set -eu
cd "$1"
rm -f etc/resolv.conf etc/hostname
rm -rf usr/share/man/* usr/share/info/* usr/share/groff/* usr/share/lintian/* usr/share/linda/*
find usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
find usr/share/doc -mindepth 1 -depth -type d -empty -delete
find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf '{}' +
rm -rf var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb var/log/*.log var/log/apt/*
