/* glue.poweroff=acpi: end the VM through the FADT's sleep control register, as Linux's poweroff does. */
#ifndef ACPI_POWEROFF_H
#define ACPI_POWEROFF_H

/* Writes \_S5's SLP_TYP with SLP_EN to SLEEP_CONTROL_REG when the key asks for it; returns if that did not end the VM. */
void acpi_poweroff_if_asked(void);

#endif
