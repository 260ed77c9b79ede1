package store

// Provisional until the carts branch lands (it defines cartKey in keys.go).
func cartKey(id string) key { return key{"CART#" + id, "CART"} }
