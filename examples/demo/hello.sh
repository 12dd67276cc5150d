#!/bin/sh
echo "$GREETING from $(cat /etc/arch): $(cat /etc/banner)"
