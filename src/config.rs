//! Office configuration (DESIGN §7): TOML in, validated domain values out.
