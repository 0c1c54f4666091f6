//! tidepool-node: being written.
