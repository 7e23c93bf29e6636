//! Sets the linker flags a Node addon needs: napi symbols stay undefined in the library and
//! are resolved by the Node process that loads it.

fn main() {
    napi_build::setup();
}
