/* SPDX-License-Identifier: Apache-2.0 */
/* The baseline of P1/P2: a program that does nothing. */
int main(void)
{
	return 0;
}
