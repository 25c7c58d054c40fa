# conftest-style rules of the shop (Rego v1): `deny` and `violation` are
# errors, `warn` warnings; `input` is one rendered object and
# `data.snapset` says where it is deployed.
package main

# Production runs pinned images: a tag that moves is refused there.
deny contains {"msg": msg, "field": sprintf("spec.template.spec.containers[%d].image", [i])} if {
	input.kind == "Deployment"
	data.snapset.environment == "prod"
	some i, c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
	msg := sprintf("container %s of %s runs a :latest image in prod", [c.name, input.metadata.name])
}

test_latest_is_refused_in_prod if {
	count(deny) == 1 with input as {"kind": "Deployment", "metadata": {"name": "cart"}, "spec": {"template": {"spec": {"containers": [{"name": "cart", "image": "registry.example.com/shop/cart:latest"}]}}}}
		with data.snapset as {"environment": "prod"}
}

test_latest_is_allowed_in_dev if {
	count(deny) == 0 with input as {"kind": "Deployment", "metadata": {"name": "cart"}, "spec": {"template": {"spec": {"containers": [{"name": "cart", "image": "registry.example.com/shop/cart:latest"}]}}}}
		with data.snapset as {"environment": "dev"}
}
