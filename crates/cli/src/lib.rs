//! tidepool-cli: being written.
